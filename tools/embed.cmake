# embed.cmake: cmake -DIN=FILE -DOUT=C_FILE -DNAME=SYMBOL -P embed.cmake
# writes C_FILE, which defines `const unsigned char SYMBOL[]` (FILE's bytes
# and a NUL after them) and `const size_t SYMBOL_len` (without the NUL), so
# that a program carries FILE within it (jobsbench: tools/report.html).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Sixteen bytes a line.
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
get_filename_component(in_name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
	"/* Generated from ${in_name} by tools/embed.cmake: do not edit. */\n"
	"#include <stddef.h>\n"
	"extern const unsigned char ${NAME}[];\n"
	"extern const size_t ${NAME}_len;\n"
	"const unsigned char ${NAME}[] = {\n${bytes}0x00};\n"
	"const size_t ${NAME}_len = ${n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
