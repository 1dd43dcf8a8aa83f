/*
 * cjk.c: how the word indexes of both stores split Chinese, Japanese and
 * Korean text, which has no spaces between its words.
 *
 * THE PROBLEM. Both stores' word parsers (SQLite's unicode61, PostgreSQL's
 * default parser) end a word only at a space or a punctuation mark, so
 * 夏季促销 ("summer sale") is one word, and neither `search 夏季` nor
 * `search 促销` finds it. Finding its words would need a dictionary of each
 * language (a morphological analyser: MeCab, jieba), which neither store
 * has, and which would still miss names and new words.
 *
 * WHAT BOTH STORES DO INSTEAD (the classic n-gram answer, as Lucene's CJK
 * analyser and PostgreSQL's pg_bigm do it). A run of CJK characters is
 * indexed as its characters and the pairs of neighbours, in order:
 *
 *     夏季促销   ->   夏 夏季 季 季促 促 促销 销
 *
 * and the text a person searches for becomes the phrase of its pairs:
 * 夏季促 is 夏季 then 季促, found wherever a run holds 夏季促 and nowhere
 * else (each pair pins two characters together, in one run; its characters
 * would add nothing but long lists to read, but for SQLite's snippets, see
 * store_sqlite_cjk.c). One character
 * is a word found anywhere: single characters are words in Chinese and
 * Japanese (茶 tea, 猫 cat), which pairs alone would find only where a run
 * is that one character. Pairs and characters take about twice the index
 * of pairs alone; the text of this service is mostly Latin, indexed as
 * before.
 *
 * The stores place the tokens differently, with the same answers:
 * PostgreSQL one after the other, the phrase saying how far apart
 * (store_pg_find.c); SQLite each character at a position of its own with
 * its pair beside it, so that a run is as long as its characters in
 * snippets and in bm25, and a mark where a run ends, so that a phrase of
 * two runs (夏季 促销, typed apart) is not found in one (夏季促销), as on
 * PostgreSQL (store_sqlite_cjk.c).
 *
 * Everything else is the store's parser's, unchanged: the Latin words
 * around and between CJK runs (LED灯笼 is LED, then 灯笼), case and
 * accents. A CJK run ends a Latin word and starts another.
 *
 * WHICH CHARACTERS. A CJK character is a letter (iswalpha) that a terminal
 * shows two columns wide (wcwidth == 2) and that has no case (towlower and
 * towupper leave it), all as libc's C.UTF-8 locale says: Han (CJK
 * ideographs and their extensions), hiragana, katakana (with ー and 々),
 * hangul syllables and jamo, bopomofo, Yi, Tangut, and the fullwidth digits.
 * "Wide" is what Unicode's East Asian Width property says of the scripts
 * written without spaces; "no case" leaves out the fullwidth Latin letters
 * (ＬＥＤ), which are Latin words. glibc's tables are Debian's, kept up
 * to date with Unicode by its maintainers; this file holds none of its own.
 * Hangul is written with spaces between phrases but joins particles to
 * words (서울에서, "in Seoul"): pairs find 서울 inside it.
 *
 * PostgreSQL cannot ask libc, so its migration (store_pg_schema.c) spells
 * out the same set as ranges of code points, and a test (test_find.c)
 * checks that the two agree on every code point. SQLite calls this file
 * from a tokenizer of its own (store_sqlite_cjk.c); PostgreSQL splits the
 * text in SQL (jobs_words() in the schema), and store_pg_find.c splits
 * queries with cjk_tokens().
 *
 * PostgreSQL's unaccent also reads 〇 and the fullwidth digits as ASCII
 * digits, in the index and in queries alike; SQLite keeps them as they are.
 * A query of those characters finds the same jobs on both; an ASCII digit
 * may find one of them on PostgreSQL only.
 *
 * COST. A character below U+0080 is never CJK and costs one comparison.
 * The others of the Basic Multilingual Plane are a bit in a table of 8 KiB
 * that cjk_init() fills from libc once, at start; the rest, rare, ask libc
 * each time.
 */
#include "cjk.h"
#include "status.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <wchar.h>
#include <wctype.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static locale_t utf8; /* (locale_t)0 when C.UTF-8 is missing */
static uint8_t bmp[0x10000 / 8];

/* Whether cp is CJK, by libc; the calling thread must be in `utf8`. */
static bool
classify(uint32_t cp)
{
	wint_t c = (wint_t)cp;

	return iswalpha(c) && wcwidth((wchar_t)c) == 2 && towlower(c) == c && towupper(c) == c;
}

static void
init_once(void)
{
	locale_t old;

	if ((utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == (locale_t)0)
		return;
	old = uselocale(utf8);
	for (uint32_t cp = 0x80; cp < 0x10000; cp++)
		if (classify(cp))
			bmp[cp >> 3] |= (uint8_t)(1u << (cp & 7));
	uselocale(old);
}

int
cjk_init(char *err, size_t errlen)
{
	pthread_once(&once, init_once);
	if (utf8 == (locale_t)0) {
		snprintf(err, errlen,
		         "libc's C.UTF-8 locale is missing (Debian's libc-bin has it): jobsd needs "
		         "it to index Chinese, Japanese and Korean text");
		return ST(FAILED_PRECONDITION);
	}
	return 0;
}

bool
cjk_is(uint32_t cp)
{
	locale_t old;
	bool yes;

	if (cp < 0x80)
		return false;
	pthread_once(&once, init_once);
	if (cp < 0x10000)
		return (bmp[cp >> 3] >> (cp & 7)) & 1;
	if (cp > 0x10ffff || utf8 == (locale_t)0)
		return false;
	old = uselocale(utf8);
	yes = classify(cp);
	uselocale(old);
	return yes;
}

/* The code point that starts s[0..n) in *cp, and its length; a byte that
 * starts no valid sequence (overlong, surrogate, past U+10FFFF, cut short)
 * is one byte long, code point 0xFFFFFFFF. */
static size_t
decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	uint32_t c;

	*cp = 0xffffffff;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 1;
	}
	if (len > n)
		return 1;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 1;
	*cp = c;
	return len;
}

size_t
cjk_char(const char *s, size_t n, bool *cjk)
{
	uint32_t cp;
	size_t len = decode((const unsigned char *)s, n, &cp);

	*cjk = cjk_is(cp);
	return len;
}

bool
cjk_only(const char *s, size_t n)
{
	bool cjk;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n;) {
		i += cjk_char(s + i, n - i, &cjk);
		if (!cjk)
			return false;
	}
	return true;
}

bool
cjk_has_alnum(const char *s, size_t n)
{
	bool found = false;
	locale_t old;

	for (size_t i = 0; i < n && !found; i++)
		found = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z');
	if (found)
		return true;
	pthread_once(&once, init_once);
	if (utf8 == (locale_t)0)
		return false;
	old = uselocale(utf8);
	for (size_t i = 0, len; i < n && !found; i += len) {
		uint32_t cp;
		len = decode((const unsigned char *)s + i, n - i, &cp);
		found = cp != 0xffffffff && iswalnum((wint_t)cp);
	}
	uselocale(old);
	return found;
}

size_t
cjk_space(const char *s, size_t n)
{
	locale_t old;
	uint32_t cp;
	size_t len;
	bool yes;

	if (n == 0)
		return 0;
	if ((unsigned char)s[0] < 0x80)
		return s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r');
	len = decode((const unsigned char *)s, n, &cp);
	pthread_once(&once, init_once);
	if (cp == 0xffffffff || utf8 == (locale_t)0)
		return 0;
	old = uselocale(utf8);
	yes = iswspace((wint_t)cp);
	uselocale(old);
	return yes ? len : 0;
}

int
cjk_stretches(const char *s, size_t n, cjk_stretch_fn fn, void *ctx)
{
	size_t i = 0, seg = 0, end, k;
	bool cjk;
	int rv;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = cjk_char(s + i, n - i, &cjk);
		if (!cjk) {
			i += k;
			continue;
		}
		if (i > seg && (rv = fn(ctx, s + seg, i - seg, seg, false)) != 0)
			return rv;
		for (end = i + k; end < n; end += k)
			if (k = cjk_char(s + end, n - end, &cjk), !cjk)
				break;
		if ((rv = fn(ctx, s + i, end - i, i, true)) != 0)
			return rv;
		seg = i = end;
	}
	return n > seg ? fn(ctx, s + seg, n - seg, seg, false) : 0;
}

int
cjk_tokens(const char *run, size_t n, cjk_emit emit, void *ctx)
{
	size_t a = 0, alen, blen;
	bool cjk;
	int rv;

	alen = cjk_char(run, n, &cjk);
	for (;;) {
		/* The character at a, then its pair with the next. */
		if ((rv = emit(ctx, run + a, alen, a, a + alen)) != 0 || a + alen == n)
			return rv;
		blen = cjk_char(run + a + alen, n - a - alen, &cjk);
		if ((rv = emit(ctx, run + a, alen + blen, a, a + alen + blen)) != 0)
			return rv;
		a += alen;
		alen = blen;
	}
}
