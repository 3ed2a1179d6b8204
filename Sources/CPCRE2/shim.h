/* PCRE2's names are macros over width-specific functions; the 8-bit (UTF-8) ones are used. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
