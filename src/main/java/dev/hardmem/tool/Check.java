package dev.hardmem.tool;

/**
 * One live check of the self-check: what was tried, whether it passed, and the evidence seen.
 *
 * @param name     what was checked
 * @param passed   whether it held
 * @param evidence what was seen (flags, errno), never memory contents or addresses
 */
record Check(String name, boolean passed, String evidence) {
}
