package dev.hardmem;

/**
 * How {@link SecretTest} and {@link SecretBorrowsTest} run {@link Secret}'s contract ({@link SecretContract},
 * {@link SecretBorrowContract}) against {@code Secret} itself.
 */
final class PlainSecrets {
    private PlainSecrets() {
    }

    /** {@link Secret} itself, through the calls its contract names. */
    record Plain(Secret<SecretKind.Key> secret) implements SecretUnderTest {
        static final SecretUnderTest.Maker MAKER = new SecretUnderTest.Maker() {
            @Override
            public SecretUnderTest random(long size) {
                return new Plain(Secret.random(SecretKind.Key.class, size));
            }

            @Override
            public <X extends Throwable> SecretUnderTest withContents(long size, SecretConsumer<X> writer) throws X {
                return new Plain(Secret.withContents(SecretKind.Key.class, size, writer));
            }

            @Override
            public Class<?> type() {
                return Secret.class;
            }

            @Override
            public String redacted(long size) {
                return "Secret[" + size + " bytes, redacted]";
            }

            @Override
            public long bytesAtRest(long size) {
                return size;
            }
        };

        @Override
        public <R, X extends Throwable> R read(SecretFunction<? extends R, X> reader) throws X {
            return secret.read(reader);
        }

        @Override
        public <X extends Throwable> void write(SecretConsumer<X> writer) throws X {
            secret.write(writer);
        }

        @Override
        public boolean contentEquals(SecretUnderTest other) {
            return secret.contentEquals(((Plain) other).secret);
        }

        @Override
        public byte[] insecureCopyToHeap() {
            return secret.insecureCopyToHeap();
        }

        @Override
        public long size() {
            return secret.size();
        }

        @Override
        public Class<?> kind() {
            return secret.kind();
        }

        @Override
        public void close() {
            secret.close();
        }

        @Override
        public void destroy() {
            secret.destroy();
        }

        @Override
        public boolean isDestroyed() {
            return secret.isDestroyed();
        }

        @Override
        public Object unwrap() {
            return secret;
        }
    }
}
