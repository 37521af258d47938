#!/usr/bin/python3
"""Writes tests/bad/: malformed inputs for every reader handgrad has, and
tests/bad/MANIFEST.tsv saying how to feed each one to the CLI.

Run from anywhere: /usr/bin/python3 fuzz/make_bad_corpus.py
The output is deterministic and committed; tests/test_bad_inputs.cpp runs
every row of the manifest (see there for what each run must do).

Manifest columns (tab-separated):
  path      relative to tests/bad/ (a file, or a folder for --data-dir)
  command   handgrad's arguments; {} is the path, {good} is tests/bad/good
  names     text naming the file the one-line error must contain (default: the
            file's name)
  problem   text naming the problem the error must contain (see PROBLEM)
"""
import gzip
import json
import os
import shutil
import struct
import sys
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "bad")
rows = []  # (path, command, names)

# What each error must say about the problem, beyond naming the file.
PROBLEM = {
    "arch/unbalanced-open.arch": "in arguments", "arch/unbalanced-close.arch": "unexpected ')'",
    "arch/nested-parens.arch": "expected a number",
    "arch/non-integer-arg.arch": "must be an integer, got 1.5",
    "arch/negative-arg.arch": "positive", "arch/zero-arg.arch": "positive",
    "arch/unknown-layer.arch": "unknown layer", "arch/too-many-args.arch": "argument",
    "arch/kernel-too-large.arch": "larger than", "arch/linear-on-image.arch": "flat input",
    "arch/huge-linear.arch": "too large", "arch/huge-padding.arch": "too large",
    "arch/int-overflow-arg.arch": "integer", "arch/stray-character.arch": "';'",
    "arch/output-not-flat.arch": "not flat", "arch/multi-line.arch": "unexpected 'r'",
    "arch/binary-garbage.arch": "unexpected", "arch/empty.arch": "empty",
    "arch/dropout-out-of-range.arch": "layer 'dropout': p must be < 1, got 1.5",
    "arch/leaky-relu-not-a-number.arch": "layer 'leaky_relu': expected a number",
    "arch/avgpool-zero.arch": "layer 'avgpool': kernel must be positive, got 0",
    "csv/text-field.csv": ":6: column 2", "csv/nan.csv": "not a finite number",
    "csv/inf.csv": "not a finite number", "csv/huge-number.csv": "not a finite number",
    "csv/missing-column.csv": ":6: expected 3 columns", "csv/extra-column.csv": "found 4",
    "csv/label-out-of-range.csv": "label 7", "csv/negative-label.csv": "negative",
    "csv/fractional-label.csv": "not an integer", "csv/three-features.csv": "network takes 2",
    "csv/header-only.csv": "no data rows", "csv/empty.csv": "no data rows",
    "csv/blank-lines-only.csv": "no data rows", "csv/binary-garbage.csv": "is not a number",
    "csv/nul-bytes.csv": ":1: column 2", "csv/huge-label.csv": "out of range",
    "csv/bad-test-data.csv": ":3: column 3",
    "safetensors/empty.safetensors": "shorter than the 8-byte",
    "safetensors/seven-bytes.safetensors": "shorter than the 8-byte",
    "safetensors/header-past-end.safetensors": "past the end",
    "safetensors/header-length-huge.safetensors": "limit",
    "safetensors/header-length-zero.safetensors": "not valid JSON",
    "safetensors/header-not-json.safetensors": "not valid JSON",
    "safetensors/header-json-array.safetensors": "not a JSON object",
    "safetensors/truncated-data.safetensors": "outside",
    "safetensors/trailing-bytes.safetensors": "after the last tensor",
    "safetensors/offsets-past-end.safetensors": "outside",
    "safetensors/offsets-overlap.safetensors": "overlap",
    "safetensors/offsets-negative.safetensors": "negative",
    "safetensors/offsets-reversed.safetensors": "end before begin",
    "safetensors/offsets-not-integers.safetensors": "not an integer",
    "safetensors/dtype-f16.safetensors": "F16", "safetensors/dtype-i64.safetensors": "I64",
    "safetensors/shape-vs-bytes.safetensors": "needs 44 bytes",
    "safetensors/shape-vs-arch.safetensors": "architecture needs 10x16",
    "safetensors/missing-tensor.safetensors": "missing",
    "safetensors/extra-tensor.safetensors": "not a parameter",
    "safetensors/no-metadata.safetensors": "no \"arch\"",
    "safetensors/metadata-bad-arch.safetensors": "missing ')'",
    "safetensors/metadata-bad-input.safetensors": "not a shape",
    "safetensors/metadata-wrong-classes.safetensors": "7 classes",
    "safetensors/metadata-not-strings.safetensors": "not a string",
    "safetensors/tensor-name-newline.safetensors": "tensor",
    "safetensors/deep-json.safetensors": "nested too deeply",
    "safetensors/binary-garbage.safetensors": "header length",
    "safetensors/init-shape-vs-arch.safetensors": "has shape 10x9",
    "image/empty.pgm": "empty", "image/truncated.pgm": "truncated",
    "image/huge-claim.pgm": "image size", "image/huge-claim-ascii.pgm": "truncated",
    "image/huge-claim.ppm": "truncated", "image/too-large.pgm": "image size",
    "image/maxval-zero.pgm": "maxval", "image/maxval-huge.pgm": "maxval",
    "image/text-pixels.pgm": "not a number", "image/pixel-over-maxval.pgm": "exceeds maxval",
    "image/negative-width.pgm": "width", "image/zero-size.pgm": "image size",
    "image/truncated.png": "unreadable PNG", "image/bad-crc.png": "unreadable PNG",
    "image/ihdr-huge.png": "image size", "image/ihdr-too-large.png": "image size",
    "image/ihdr-lies.png": "more than its", "image/bad-colour-type.png": "unreadable PNG",
    "image/signature-only.png": "truncated PNG", "image/jpeg.jpg": "not a PNG",
    "image/text.png": "not a PNG",
    "idx/truncated-gz": "truncated or corrupt .gz", "idx/corrupt-gz": "corrupt .gz",
    "idx/gz-bad-crc": "corrupt .gz", "idx/gz-of-garbage": "corrupt .gz",
    "idx/wrong-magic": "magic", "idx/labels-magic-on-images": "magic",
    "idx/count-mismatch": "12 images", "idx/count-lie-raw": "header claims",
    "idx/count-lie-gz": "header claims", "idx/dims-enormous": "refusing",
    "idx/dims-zero": "is 0", "idx/label-out-of-range": "label 10",
    "idx/image-size-32": "1x32x32", "idx/empty-file": "empty file",
    "idx/trailing-bytes": "trailing", "idx/header-truncated": "truncated",
    "idx/missing-file": "no mnist data found",
    "resume/corrupt-state": "not valid JSON", "resume/empty-folder": "state.json",
}


def write(rel, data, command, expect=""):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    rows.append((rel, command, expect))


def gz(data):
    # mtime 0: the committed bytes do not change from run to run.
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---------------------------------------------------------------- good files
# Companions the bad files are paired with; never listed in the manifest.
def safetensors(tensors, metadata, header_override=None):
    """tensors: [(name, shape, [floats])] -> bytes in the safetensors layout."""
    header, data, off = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, shape, values in tensors:
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(blob)]}
        data += blob
        off += len(blob)
    if header_override:
        header_override(header)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    return struct.pack("<Q", len(js)) + js + data


GOOD_META = {"arch": "flatten linear(10)", "input": "1x4x4", "classes": "10",
             "handgrad_version": "0.1.0"}
W = [((i * 7) % 11 - 5) / 10.0 for i in range(160)]
B = [0.0] * 10
GOOD_TENSORS = [("1.weight", [10, 16], W), ("1.bias", [10], B)]


def good_model(**kw):
    return safetensors(kw.get("tensors", GOOD_TENSORS), kw.get("metadata", GOOD_META),
                       kw.get("override"))


def pgm(w, h, pixels, maxval=255):
    return b"P5\n%d %d\n%d\n" % (w, h, maxval) + bytes(pixels)


def png(w, h, rows, color_type=0, bit_depth=8, crc_ok=True, ihdr_size=None):
    def chunk(kind, body, ok=True):
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        if not ok:
            crc ^= 1
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    iw, ih = ihdr_size or (w, h)
    ihdr = struct.pack(">IIBBBBB", iw, ih, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + bytes(r) for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw), crc_ok)
            + chunk(b"IEND", b""))


def idx_images(n, h=28, w=28, magic=2051):
    px = bytes(((i * 37 + j * 11) % 256) for i in range(n) for j in range(h * w))
    return struct.pack(">IIII", magic, n, h, w) + px


def idx_labels(n, classes=10, magic=2049):
    return struct.pack(">II", magic, n) + bytes(i % classes for i in range(n))


IDX_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def good_idx_set():
    return {IDX_NAMES[0]: gz(idx_images(12)), IDX_NAMES[1]: gz(idx_labels(12)),
            IDX_NAMES[2]: gz(idx_images(6)), IDX_NAMES[3]: gz(idx_labels(6))}


IDX_CMD = "train --data mnist --data-dir {} --preset seed-mlp --epochs 1 --quiet --out out"


def idx_case(name, replace, expect):
    """A --data-dir folder: the good four files (.gz) with `replace` applied.
    replace: {standard name: (file name to write, bytes)}."""
    files = good_idx_set()
    out = {n + ".gz": b for n, b in files.items()}
    for std, (fname, data) in replace.items():
        del out[std + ".gz"]
        out[fname] = data
    for fname, data in out.items():
        p = os.path.join(ROOT, "idx", name, fname)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    rows.append(("idx/" + name, IDX_CMD, expect))


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(os.path.join(ROOT, "good"))
    with open(os.path.join(ROOT, "good", "model.safetensors"), "wb") as f:
        f.write(good_model())
    with open(os.path.join(ROOT, "good", "digit.pgm"), "wb") as f:
        f.write(pgm(4, 4, range(0, 256, 16)))

    # ------------------------------------------------------ architecture strings
    arch_cmd = 'gradcheck --arch "$(cat {})" --input 1x28x28'
    for name, text in [
        ("unbalanced-open", "conv(4,5 relu flatten linear(10)"),
        ("unbalanced-close", "conv(4,5)) relu flatten linear(10)"),
        ("nested-parens", "conv((4,5)) relu flatten linear(10)"),
        ("non-integer-arg", "flatten linear(1.5)"),
        ("negative-arg", "flatten linear(-3)"),
        ("zero-arg", "flatten linear(0)"),
        ("unknown-layer", "flatten dense(10)"),
        ("too-many-args", "maxpool(2,2,2) flatten linear(10)"),
        ("kernel-too-large", "conv(4,29) flatten linear(10)"),
        ("linear-on-image", "linear(10)"),
        ("huge-linear", "flatten linear(2000000000)"),
        ("huge-padding", "conv(4,5,1,2147483647) flatten linear(10)"),
        ("int-overflow-arg", "flatten linear(99999999999999999999)"),
        ("stray-character", "conv(4,5); relu flatten linear(10)"),
        ("output-not-flat", "conv(4,5) relu"),
        ("multi-line", "conv(4,5\nrelu\nflatten linear(10)"),
        ("binary-garbage", bytes(range(0x80, 0xC0)) + b"(\x01\x02)"),
        ("empty", ""),
        ("dropout-out-of-range", "flatten dropout(1.5) linear(10)"),
        ("leaky-relu-not-a-number", "conv(4,5) leaky_relu(x) flatten linear(10)"),
        ("avgpool-zero", "avgpool(0) flatten linear(10)"),
    ]:
        write("arch/%s.arch" % name, text, arch_cmd, "architecture")

    # ---------------------------------------------------------------------- CSV
    csv_cmd = "train --data {} --preset seed-2d --epochs 1 --quiet --out out"
    ok = "x1,x2,label\n0.5,0.25,0\n-1,2,1\n3,1.5,0\n0.1,0.2,1\n"
    for name, text in [
        ("text-field", ok + "0.3,abc,1\n"),
        ("nan", ok + "nan,0.5,0\n"),
        ("inf", ok + "0.5,-inf,1\n"),
        ("huge-number", ok + "1e999,0.5,0\n"),
        ("missing-column", ok + "0.5,1\n"),
        ("extra-column", ok + "0.5,1,2,1\n"),
        ("label-out-of-range", ok + "0.5,1,7\n"),
        ("negative-label", ok + "0.5,1,-1\n"),
        ("fractional-label", ok + "0.5,1,0.5\n"),
        ("three-features", "a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n"),
        ("header-only", "x1,x2,label\n"),
        ("empty", ""),
        ("blank-lines-only", "\n\n   \n"),
        ("binary-garbage", bytes((i * 97 + 13) % 256 for i in range(300))),
        ("nul-bytes", "0.5,\0.25,0\n1,2,1\n"),
        ("huge-label", ok + "0.5,1,99999999999999999999\n"),
    ]:
        write("csv/%s.csv" % name, text, csv_cmd)
    write("csv/bad-test-data.csv", ok.replace("-1,2,1", "-1,2,x"),
          "train --data {good}/train.csv "
          "--test-data {} --preset seed-2d --epochs 1 --quiet --out out")
    with open(os.path.join(ROOT, "good", "train.csv"), "w") as f:
        f.write(ok)

    # ---------------------------------------------------------------- safetensors
    model_cmd = "predict --model {} {good}/digit.pgm"

    def hdr_len(n, rest):
        return struct.pack("<Q", n) + rest

    good = good_model()
    (n_hdr,) = struct.unpack("<Q", good[:8])

    def set_off(name, begin, end):
        return lambda h: h[name].__setitem__("data_offsets", [begin, end])

    for name, data in [
        ("empty", b""),
        ("seven-bytes", b"\x10\0\0\0\0\0\0"),
        ("header-past-end", hdr_len(4096, good[8:200])),
        ("header-length-huge", hdr_len(2 ** 63 + 5, good[8:])),
        ("header-length-zero", hdr_len(0, good[8:])),
        ("header-not-json", hdr_len(16, b"{this is not js}") + b"\0" * 16),
        ("header-json-array", hdr_len(8, b"[1,2,3] ")),
        ("truncated-data", good[:-40]),
        ("trailing-bytes", good + b"\0" * 8),
        ("offsets-past-end", good_model(override=set_off("1.bias", 640, 100000))),
        ("offsets-overlap", good_model(override=set_off("1.bias", 600, 640))),
        ("offsets-negative", good_model(override=set_off("1.bias", -40, 0))),
        ("offsets-reversed", good_model(override=set_off("1.bias", 680, 640))),
        ("offsets-not-integers", good_model(override=set_off("1.bias", 640.5, "680"))),
        ("dtype-f16", good_model(override=lambda h: h["1.bias"].__setitem__("dtype", "F16"))),
        ("dtype-i64", good_model(override=lambda h: h["1.weight"].__setitem__("dtype", "I64"))),
        ("shape-vs-bytes", good_model(override=lambda h: h["1.bias"].__setitem__("shape", [11]))),
        ("shape-vs-arch", good_model(tensors=[("1.weight", [16, 10], W), ("1.bias", [10], B)])),
        ("missing-tensor", good_model(tensors=GOOD_TENSORS[:1])),
        ("extra-tensor", good_model(tensors=GOOD_TENSORS + [("2.weight", [1], [1.0])])),
        ("no-metadata", good_model(metadata=None)),
        ("metadata-bad-arch", good_model(metadata=dict(GOOD_META, arch="flatten linear(10"))),
        ("metadata-bad-input", good_model(metadata=dict(GOOD_META, input="1x-4x4"))),
        ("metadata-wrong-classes", good_model(metadata=dict(GOOD_META, classes="7"))),
        ("metadata-not-strings", good_model(metadata=dict(GOOD_META, classes=10))),
        ("tensor-name-newline", good_model(
            tensors=[("1.weight", [10, 16], W), ("1.bias\nfake", [10], B)])),
        ("deep-json", hdr_len(4000, b"[" * 2000 + b"]" * 2000)),
        ("binary-garbage", bytes((i * 131 + 7) % 256 for i in range(512))),
    ]:
        write("safetensors/%s.safetensors" % name, data, model_cmd)
    write("safetensors/init-shape-vs-arch.safetensors",
          good_model(tensors=[("0.weight", [10, 9], W[:90]), ("0.bias", [10], B)]),
          # no --out: the default runs/<name> folder must not be left behind either
          "train --data {good}/train.csv --arch 'linear(10)' --init {} --epochs 1 --quiet")

    # ------------------------------------------------------------------- images
    img_cmd = "predict --model {good}/model.safetensors {}"
    gray = [[(x * 16 + y) % 256 for x in range(8)] for y in range(8)]
    for name, data in [
        ("empty.pgm", b""),
        ("truncated.pgm", pgm(8, 8, range(64))[:-10]),
        ("huge-claim.pgm", b"P5\n16384 16384\n255\n" + bytes(100)),
        ("huge-claim-ascii.pgm", b"P2\n8000 8000\n255\n1 2 3\n"),
        ("too-large.pgm", b"P5\n100000 100000\n255\n" + bytes(100)),
        ("maxval-zero.pgm", b"P5\n2 2\n0\n\0\0\0\0"),
        ("maxval-huge.pgm", b"P5\n2 2\n70000\n" + bytes(8)),
        ("text-pixels.pgm", b"P2\n2 2\n255\n1 2 x 4\n"),
        ("pixel-over-maxval.pgm", b"P2\n2 2\n10\n1 2 11 4\n"),
        ("negative-width.pgm", b"P5\n-2 2\n255\n\0\0\0\0"),
        ("zero-size.pgm", b"P5\n0 0\n255\n"),
        ("truncated.png", png(8, 8, gray)[:40]),
        ("bad-crc.png", png(8, 8, gray, crc_ok=False)),
        ("ihdr-huge.png", png(8, 8, gray, ihdr_size=(16384, 16384))),
        ("ihdr-too-large.png", png(8, 8, gray, ihdr_size=(1 << 30, 1 << 30))),
        ("ihdr-lies.png", png(8, 8, gray, ihdr_size=(16384, 4096))),
        ("huge-claim.ppm", b"P6\n16384 4096\n255\n" + bytes(300)),
        ("bad-colour-type.png", png(8, 8, gray, color_type=5)),
        ("signature-only.png", b"\x89PNG\r\n\x1a\n"),
        ("jpeg.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF\0" + bytes(64)),
        ("text.png", b"this is not an image\n"),
    ]:
        write("image/" + name, data, img_cmd)

    # --------------------------------------------------------------------- IDX
    bad_gz = bytearray(gz(idx_images(12)))
    bad_gz[len(bad_gz) // 2] ^= 0xFF
    bad_crc = bytearray(gz(idx_labels(12)))
    bad_crc[-6] ^= 0x55  # the CRC-32 in the gzip trailer
    tr_img, tr_lab = IDX_NAMES[0], IDX_NAMES[1]
    te_img, te_lab = IDX_NAMES[2], IDX_NAMES[3]
    for name, replace, expect in [
        ("truncated-gz", {tr_img: (tr_img + ".gz", gz(idx_images(12))[:300])}, tr_img),
        ("corrupt-gz", {tr_img: (tr_img + ".gz", bytes(bad_gz))}, tr_img),
        ("gz-bad-crc", {tr_lab: (tr_lab + ".gz", bytes(bad_crc))}, tr_lab),
        ("gz-of-garbage", {tr_img: (tr_img + ".gz", b"\x1f\x8b\x08\0" + bytes(range(200)))},
         tr_img),
        ("wrong-magic", {tr_img: (tr_img + ".gz", gz(idx_images(12, magic=2049)))}, tr_img),
        ("labels-magic-on-images", {te_img: (te_img, idx_labels(6))}, te_img),
        ("count-mismatch", {tr_lab: (tr_lab + ".gz", gz(idx_labels(11)))}, "labels"),
        ("count-lie-raw", {tr_img: (tr_img, struct.pack(">IIII", 2051, 60000, 28, 28)
                                    + idx_images(12)[16:])}, tr_img),
        ("count-lie-gz", {tr_img: (tr_img + ".gz", gz(struct.pack(">IIII", 2051, 60000, 28, 28)
                                                     + idx_images(12)[16:]))}, tr_img),
        ("dims-enormous", {tr_img: (tr_img, struct.pack(">IIII", 2051, 4000000000, 65535, 65535)
                                    + bytes(64))}, tr_img),
        ("dims-zero", {tr_img: (tr_img, struct.pack(">IIII", 2051, 12, 0, 28))}, tr_img),
        ("label-out-of-range", {tr_lab: (tr_lab, struct.pack(">II", 2049, 12)
                                         + bytes([1] * 11 + [10]))}, tr_lab),
        ("image-size-32", {tr_img: (tr_img + ".gz", gz(idx_images(12, 32, 32))),
                           te_img: (te_img + ".gz", gz(idx_images(6, 32, 32)))}, "32"),
        ("empty-file", {te_lab: (te_lab, b"")}, te_lab),
        ("trailing-bytes", {te_lab: (te_lab, idx_labels(6) + b"\0\0")}, te_lab),
        ("header-truncated", {te_img: (te_img, struct.pack(">II", 2051, 6))}, te_img),
        ("missing-file", {te_lab: ("README", b"the labels file is missing\n")}, "mnist"),
    ]:
        idx_case(name, replace, expect)

    # ------------------------------------------------------------------ resume
    ck = os.path.join(ROOT, "resume", "corrupt-state")
    os.makedirs(ck)
    with open(os.path.join(ck, "model.safetensors"), "wb") as f:
        f.write(good_model())
    with open(os.path.join(ck, "state.json"), "w") as f:
        f.write('{"format": "handgrad-train-state", "step": 3, "rng": [1, 2')
    rows.append(("resume/corrupt-state", "train --resume {} --epochs 2 --quiet", "state.json"))
    os.makedirs(os.path.join(ROOT, "resume", "empty-folder"))
    with open(os.path.join(ROOT, "resume", "empty-folder", ".keep"), "w") as f:
        f.write("an empty run folder (git keeps no empty folders)\n")
    rows.append(("resume/empty-folder", "train --resume {} --epochs 2 --quiet", "empty-folder"))

    with open(os.path.join(ROOT, "MANIFEST.tsv"), "w") as f:
        f.write("# path\tcommand ({} = path, {good} = tests/bad/good)\tnames (default: the"
                " file name)\tproblem\n")
        f.write("# generated by fuzz/make_bad_corpus.py; tests/test_bad_inputs.cpp runs it\n")
        for path, command, names in rows:
            f.write("\t".join([path, command, names, PROBLEM[path]]) + "\n")
    files = sum(len(fs) for _, _, fs in os.walk(ROOT))
    print("tests/bad: %d manifest rows, %d files" % (len(rows), files), file=sys.stderr)


if __name__ == "__main__":
    main()
