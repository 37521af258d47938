#!/usr/bin/python3
"""Writes the seed corpora fuzz/corpus/fuzz_{idx,safetensors,image}/: small
valid and near-valid inputs in each harness's input format (see
fuzz/harness_*.h). fuzz_arch and fuzz_csv seeds are plain text, written by
hand. Run: /usr/bin/python3 fuzz/make_seeds.py"""
import os
import struct

import make_bad_corpus as b

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx_input(flags, labels, images):
    # harness_idx.h: flags, u16 little-endian labels length, labels, images
    return bytes([flags]) + struct.pack("<H", len(labels)) + labels + images


def main():
    lab, img = b.idx_labels(3), b.idx_images(3, 4, 4)
    put("fuzz_idx", "raw", idx_input(0, lab, img))
    put("fuzz_idx", "gzip-both", idx_input(3, lab, img))
    put("fuzz_idx", "gz-bytes", idx_input(0, b.gz(lab), b.gz(img)))
    put("fuzz_idx", "two-classes", idx_input(4, b.idx_labels(3, 2), img))
    put("fuzz_idx", "count-lie", idx_input(1, lab, struct.pack(">IIII", 2051, 60000, 4, 4)))
    put("fuzz_idx", "truncated-gz", idx_input(0, b.gz(lab)[:20], b.gz(img)))
    put("fuzz_idx", "swapped", idx_input(0, img, lab))

    put("fuzz_safetensors", "good", b.good_model())
    put("fuzz_safetensors", "conv", b.safetensors(
        [("0.weight", [2, 1, 3, 3], [0.1] * 18), ("0.bias", [2], [0.0, 0.1]),
         ("3.weight", [3, 8], [0.2] * 24), ("3.bias", [3], [0.0] * 3)],
        {"arch": "conv(2,3) relu flatten linear(3)", "input": "1x4x4", "classes": "3"}))
    put("fuzz_safetensors", "empty-tensor", b.safetensors(
        [("a", [0, 3], [])], {"note": "no model"}))
    put("fuzz_safetensors", "overlap", b.good_model(
        override=lambda h: h["1.bias"].__setitem__("data_offsets", [600, 640])))
    put("fuzz_safetensors", "f16", b.good_model(
        override=lambda h: h["1.bias"].__setitem__("dtype", "F16")))

    gray = [[(x * 16 + y) % 256 for x in range(8)] for y in range(8)]
    rgb = [[(x * 30 + c * 70) % 256 for x in range(8) for c in range(3)] for _ in range(8)]
    rgba = [[(x * 30 + c * 50) % 256 for x in range(8) for c in range(4)] for _ in range(8)]
    put("fuzz_image", "gray.pgm", b.pgm(8, 8, range(64)))
    put("fuzz_image", "ascii.pgm", b"P2\n# comment\n3 2\n15\n0 1 2\n13 14 15\n")
    put("fuzz_image", "16bit.pgm", b"P5 2 2 65535\n" + bytes(range(8)))
    put("fuzz_image", "color.ppm", b"P6 2 1 255\n" + bytes([255, 0, 0, 0, 255, 0]))
    put("fuzz_image", "ascii.ppm", b"P3 1 1 255 10 20 30\n")
    put("fuzz_image", "gray.png", b.png(8, 8, gray))
    put("fuzz_image", "rgb.png", b.png(8, 8, rgb, color_type=2))
    put("fuzz_image", "rgba.png", b.png(8, 8, rgba, color_type=6))
    put("fuzz_image", "bad-crc.png", b.png(8, 8, gray, crc_ok=False))


if __name__ == "__main__":
    main()
