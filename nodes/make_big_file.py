"""Write the file service's big file: SIZE bytes that are the same on every build.

    python3 make_big_file.py /srv/files/big.bin 104857600

The bytes come from a seeded generator, so every image holds the same file and its sha256
can be compared across labs; they do not compress, so nothing along the way shortcuts them.
Written 1 MiB at a time: memory stays flat.
"""
import hashlib
import random
import sys

SEED = "lanlab big.bin"
BLOCK = 1 << 20


def main() -> int:
    path, size = sys.argv[1], int(sys.argv[2])
    generator = random.Random(SEED)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = generator.randbytes(min(BLOCK, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    print(f"{path}: {size} bytes, sha256 {digest.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
