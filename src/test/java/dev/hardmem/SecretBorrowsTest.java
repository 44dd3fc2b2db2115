package dev.hardmem;

/** {@link Secret}'s borrows: the {@link SecretBorrowContract}, run against it. */
class SecretBorrowsTest extends SecretBorrowContract {
    @Override
    protected SecretUnderTest.Maker maker() {
        return PlainSecrets.Plain.MAKER;
    }
}
