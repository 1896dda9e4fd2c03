#!/usr/bin/python3
"""Writes a synthetic NCMEC hash-sharing XML v2 page of N entries (random MD5, SHA-1 and PDQ per
image, random MD5 per video, 1% deletedImage tombstones of earlier entries) for measuring
`hashguard list import`. Deterministic for a given seed. Usage: gen_ncmec.py N OUT.xml [SEED]"""
import random
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    hexs = lambda bits: "%0*x" % (bits // 4, rng.getrandbits(bits))
    with open(out, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">\n'
                ' <images count="%d" maxTimestamp="2026-11-30T00:00:00Z">\n' % n)
        videos = n // 10
        for i in range(n - videos):
            if i % 100 == 99:
                f.write('  <deletedImage><member id="42">ESP</member><id>image%d</id>'
                        '<timestamp>2026-11-30T00:00:00Z</timestamp></deletedImage>\n' % (i - 50))
                continue
            f.write('  <image><member id="%d">Example ESP</member><timestamp>2026-11-29T12:00:00Z</timestamp>'
                    '<id>image%d</id><classification>A%d</classification><fingerprints><md5>%s</md5>'
                    '<sha1>%s</sha1><pdq>%s</pdq></fingerprints></image>\n'
                    % (40 + i % 7, i, 1 + i % 2, hexs(128), hexs(160), hexs(256)))
        f.write(' </images>\n <videos count="%d" maxTimestamp="2026-11-30T00:00:00Z">\n' % videos)
        for i in range(videos):
            f.write('  <video><member id="42">Example ESP</member><timestamp>2026-11-29T12:00:00Z</timestamp>'
                    '<id>video%d</id><fingerprints><md5>%s</md5><tmk_pdqf>AAAA</tmk_pdqf></fingerprints></video>\n'
                    % (i, hexs(128)))
        f.write(' </videos>\n</queryResult>\n')


if __name__ == "__main__":
    main()
