#!/usr/bin/python3
"""Writes a feed of N random PDQ hashes for timing `hashguard store import`.

  store_feed.py N OUT [--format text|ncmec-xml] [--seed S]

text: "pdq <hex>" lines (HMA's file form). ncmec-xml: an NCMEC hash-sharing
v2 queryResult with one <image> per hash (member, timestamp, id, classification
and a PDQ fingerprint), as tests/data/feeds/ncmec-page1.xml shapes them.
"""
import argparse
import random


def text(out, n, rng):
    for _ in range(n):
        out.write("pdq %064x\n" % rng.getrandbits(256))


def ncmec_xml(out, n, rng):
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">\n'
              ' <images count="%d" maxTimestamp="2026-12-01T00:00:00Z">\n' % n)
    for i in range(n):
        out.write('  <image><member id="42">Example ESP</member><timestamp>2026-11-30T12:00:00Z</timestamp>'
                  '<id>image%d</id><classification>A1</classification>'
                  '<fingerprints><pdq>%064x</pdq></fingerprints></image>\n' % (i + 1, rng.getrandbits(256)))
    out.write(' </images>\n</queryResult>\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--format", choices=["text", "ncmec-xml"], default="text")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "w") as f:
        (text if a.format == "text" else ncmec_xml)(f, a.n, rng)


if __name__ == "__main__":
    main()
