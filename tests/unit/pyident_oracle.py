#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What this machine's python3 says about identifiers, for test_pyident.c.

Lines (hex code points, comma-separated sequences):
  V <unidata_version>
  C <cp> <start> <continue> [<nfkc>]   every assigned code point (not Cn, not a
                                       surrogate): chr(cp).isidentifier(),
                                       ("a" + chr(cp)).isidentifier(), and
                                       NFKC(chr(cp)) when it is not chr(cp)
  S <seq> <identifier> <nfkc>          whole strings: str.isidentifier() and
                                       NFKC of the whole string
  E                                    end
The C side compares only code points both Unicode versions assign.
"""
import random
import sys
import unicodedata as ud


def hexs(s):
    return ",".join("%X" % ord(c) for c in s)


def main():
    out = sys.stdout
    out.write("V %s\n" % ud.unidata_version)
    assigned = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if ud.category(c) == "Cn":
            continue
        assigned.append(c)
        n = ud.normalize("NFKC", c)
        out.write("C %X %d %d%s\n" % (cp, c.isidentifier(), ("a" + c).isidentifier(),
                                      "" if n == c else " " + hexs(n)))

    seqs = []
    # The reviewer's class, whole: fullwidth, mathematical, modifier letters,
    # letterlike symbols, ligatures, fullwidth low lines, combining sequences.
    seqs += ["ｅｘｅｃ", "ｅｖａｌ", "𝐞𝐱𝐞𝐜", "𝓮𝓿𝓪𝓵", "𝚎𝚟𝚊𝚕", "ᵉval", "ℯval", "ﬁle", "ﬀ",
             "_＿ｉｍｐｏｒｔ＿＿", "＿＿import__", "ｓｙｓｔｅｍ", "ｏｓ", "𝑜𝑠", "ⓔval",
             "ｅ\u0301", "e\u0301", "a\u0300", "\u1e9b\u0323", "o\u0308\u0304", "\u212b",
             "Ⅸ", "µ", "ſ", "ǆ", "㍱", "ｶﾞ", "ｶ\uff9e", "ㄱㅏ", "ㄱㅏㄱ", "a\u200d", "a\u00b7"]
    # Canonical decompositions written out: NFKC must compose them back.
    marks = []
    for c in assigned:
        d = ud.decomposition(c)
        if d and not d.startswith("<") and len(ud.normalize("NFD", c)) > 1:
            seqs.append("a" + ud.normalize("NFD", c))
        if ud.combining(c):
            marks.append(c)
    # Canonical reordering: marks of different classes in both orders.
    for m in marks:
        seqs.append("a" + m + "\u0323")
        seqs.append("a\u0301" + m)
    # Hangul: conjoining jamo compose; compatibility jamo decompose, then compose.
    for lead in range(0x1100, 0x1113):
        for vowel in range(0x1161, 0x1176):
            seqs.append(chr(lead) + chr(vowel))
            seqs.append(chr(lead) + chr(vowel) + chr(0x11A8 + (lead + vowel) % 27))
    for lead in range(0x3131, 0x314F):
        for vowel in range(0x314F, 0x3164, 4):
            seqs.append(chr(lead) + chr(vowel))
    # Random mixtures of ASCII, marks and characters that NFKC changes.
    changing = [c for c in assigned if ud.normalize("NFKC", c) != c]
    pool = changing + marks + list("abcXYZ_09")
    rnd = random.Random(3131)
    for _ in range(20000):
        seqs.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 6))))
    for s in seqs:
        out.write("S %s %d %s\n" % (hexs(s), s.isidentifier(), hexs(ud.normalize("NFKC", s))))
    out.write("E\n")


if __name__ == "__main__":
    main()
