/*
 * tokenize_int.h -- what the core's other files take from the tokenizer
 * and an embedding app does not: its character classes.  The query
 * builder cuts a query where the tokenizer cuts text, so both ask the
 * same function.
 */
#ifndef WENDA_TOKENIZE_INT_H
#define WENDA_TOKENIZE_INT_H

#include <stdint.h>

/*
 * Returns 1 when code point cp is Han as the tokenizer counts it
 * (Script=Han, roughly: ideographs of every block, CJK and Kangxi
 * radicals, 々, 〇 and the Hangzhou numerals), else 0.
 */
int wenda_tokenize_is_han(int32_t cp);

#endif /* WENDA_TOKENIZE_INT_H */
