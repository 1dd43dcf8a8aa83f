/*
 * cjk.h: text in the scripts written without spaces between words (Chinese,
 * Japanese, Korean), as both stores' word indexes split it. See cjk.c for
 * why it is split so and what counts as such a character.
 */
#ifndef JOBSD_CJK_H
#define JOBSD_CJK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Makes ready what cjk_char() needs (libc's C.UTF-8 locale); once per
 * process, any thread, any number of times. Returns 0, or a status with the
 * reason in err[0..errlen). Without it every character is taken for one
 * that is not CJK, so the store refuses to open (store_open calls it).
 */
int cjk_init(char *err, size_t errlen);

/* Whether code point cp is a CJK character (see cjk.c). */
bool cjk_is(uint32_t cp);

/*
 * The character that starts s[0..n) (n > 0): returns its length in bytes,
 * and *cjk says whether it is a CJK character. A byte that starts no valid
 * UTF-8 sequence is a character of one byte, not CJK.
 */
size_t cjk_char(const char *s, size_t n, bool *cjk);

/* Whether s[0..n) holds at least one character and only CJK ones. */
bool cjk_only(const char *s, size_t n);

/* Whether s[0..n) holds a letter or a digit (libc's iswalnum in C.UTF-8:
 * what PostgreSQL's word parser takes for part of a word). */
bool cjk_has_alnum(const char *s, size_t n);

/* The length in bytes of the white space character that starts s[0..n), 0
 * if there is none: ASCII's, and the others libc's C.UTF-8 calls spaces,
 * such as the ideographic space (U+3000) that CJK input methods type. */
size_t cjk_space(const char *s, size_t n);

/*
 * Walks s[0..n) in stretches, in order: the text between runs of CJK
 * characters (cjk false, never empty) and each run (cjk true), calling fn
 * with each stretch's bytes (borrowed from s) and its start in s. Returns 0,
 * or the first non-zero value fn returns.
 */
typedef int (*cjk_stretch_fn)(void *ctx, const char *s, size_t len, size_t start, bool cjk);
int cjk_stretches(const char *s, size_t n, cjk_stretch_fn fn, void *ctx);

/*
 * The tokens of run[0..n), CJK characters only (a stretch of
 * cjk_stretches()): each character, and after each one that another
 * follows, the pair of the two: 夏季促销 is 夏 夏季 季 季促 促 促销 销. emit
 * gets each token's bytes (borrowed from run) and its byte range in run.
 * Returns 0, or the first non-zero value emit returns.
 */
typedef int (*cjk_emit)(void *ctx, const char *tok, size_t len, size_t start, size_t end);
int cjk_tokens(const char *run, size_t n, cjk_emit emit, void *ctx);

#endif
