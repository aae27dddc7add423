#!/usr/bin/env python3
"""Self-test for provision.py; needs the shared model copies, no network.

    python3 models/test_provision.py        (or: python3 -m unittest discover -s models)

The originals of the patched models are not stored anywhere here, so the dynamic-batch patch is
checked in reverse: un-patching a shared copy must give the original's published sha256, and
patching that must give the shared copy back byte for byte. The shared RetinaFace copy has only that
patch; the dynamic-input-size patch on top of it must give the manifest's sha256 from either start.
"""
import contextlib
import functools
import hashlib
import http.server
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import threading
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in models/: it is not git-ignored
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_patches  # noqa: E402
import provision  # noqa: E402

SHARED = os.environ.get("FACEORLEANS_SHARED_MODELS") or os.path.join(
    os.path.dirname(os.path.dirname(provision.HERE)), "shared", "models")
with open(os.path.join(provision.HERE, "manifest.json")) as _f:
    MODELS = {m["name"]: m for m in json.load(_f)["models"]}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def unpatch(data):
    return onnx_patches.dynamic_batch(data, reverse=True)


def read_shared(name):
    with open(os.path.join(SHARED, MODELS[name]["file"]), "rb") as f:
        return f.read()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = provision.main(list(argv))
    return code, out.getvalue(), err.getvalue()


# The int8 entries are never in the shared folder: provision.py derives them from the fp32 ones.
@unittest.skipUnless(all(os.path.exists(os.path.join(SHARED, m["file"])) for m in MODELS.values() if "quantized" not in m),
                     "shared model copies not found in " + SHARED)
class ProvisionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="provision-test.")
        self.addCleanup(shutil.rmtree, self.tmp)

    def dir(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def assert_no_temp_files(self, path):
        self.assertEqual([f for f in os.listdir(path) if f.startswith(".")], [])

    def test_patch_round_trips_to_the_published_originals(self):
        for name, model in MODELS.items():
            src = model.get("source", {})
            if [p["name"] for p in src.get("patches", [])][:1] != ["dynamic-batch"]:
                continue
            with self.subTest(name):
                patched = read_shared(name)
                original = unpatch(patched)
                self.assertTrue(provision.source_hash_ok(src, sha(original)), sha(original))
                self.assertEqual(onnx_patches.dynamic_batch(original), patched)
                self.assertEqual(sha(provision.from_original(model, original)), model["sha256"])

    def test_dynamic_input_size_completes_the_shared_detector_from_either_start(self):
        model = MODELS["retinaface_mnet025"]
        shared = read_shared("retinaface_mnet025")
        self.assertEqual(provision.patch_stage(model, sha(shared)), 1)
        self.assertEqual(provision.patch_stage(model, sha(unpatch(shared))), 0)
        final = provision.apply_patches(model, shared, 1)
        self.assertEqual(sha(final), model["sha256"])
        self.assertEqual(provision.from_original(model, unpatch(shared)), final)
        # Exactly the image input and the two FPN upsamplings change, and only as documented.
        graph = onnx_patches.get(final, 7)[0]
        image = [v for v in onnx_patches.get(graph, 11) if onnx_patches.get(v, 1) == [b"input0"]][0]
        self.assertIn(onnx_patches.DIM_HEIGHT, image)
        self.assertIn(onnx_patches.DIM_WIDTH, image)
        sizes = [t for t in onnx_patches.get(graph, 5) if onnx_patches.FLOAT_TWOS in onnx_patches.get(t, 9)]
        self.assertEqual(len(sizes), 2)
        # The patch refuses a graph it has already patched, rather than patching it twice.
        with self.assertRaises(ValueError):
            onnx_patches.dynamic_input_size(final)
        # A wrong intermediate copy fails its own step's hash, naming the patch.
        with self.assertRaises(provision.Failure) as caught:
            provision.apply_patches(model, shared[:-1] + b"\0", 1)
        self.assertIn("dynamic-input-size", str(caught.exception))

    def test_copies_from_shared_then_keeps_verified_files(self):
        models = self.dir("models")
        self.assertEqual(run("--models-dir", models, "--shared", SHARED, "--offline")[0], 0)
        code, out, _ = run("--models-dir", models, "--shared", SHARED, "--offline")
        self.assertEqual(code, 0)
        self.assertEqual(out.split("\n")[0], "ok  retinaface_mnet025")
        self.assertEqual(run("--models-dir", models, "--verify-only")[0], 0)
        self.assert_no_temp_files(models)

    def test_corrupt_shared_copy_offline_fails_naming_the_model(self):
        models, shared = self.dir("models"), self.dir("shared")
        for m in MODELS.values():
            if "quantized" not in m:
                shutil.copy(os.path.join(SHARED, m["file"]), shared)
        with open(os.path.join(shared, "face_embed_512d.onnx"), "r+b") as f:
            f.seek(1000)
            f.write(b"X")
        code, _, err = run("--models-dir", models, "--shared", shared, "--offline")
        self.assertEqual(code, 1)
        self.assertIn("FAILED face_embed_512d", err)
        self.assertIn(MODELS["face_embed_512d"]["sha256"], err)
        self.assertNotIn("retinaface", err)
        self.assertFalse(os.path.exists(os.path.join(models, "face_embed_512d.onnx")))
        self.assertIn("FAILED face_embed_512d_int8", err)  # nothing to derive it from
        self.assertFalse(os.path.exists(os.path.join(models, "face_embed_512d_int8.onnx")))
        self.assert_no_temp_files(models)

    def test_int8_is_derived_from_the_verified_fp32_and_a_wrong_result_is_never_installed(self):
        models = self.dir("models")
        code, out, err = run("--models-dir", models, "--shared", SHARED, "--offline")
        self.assertEqual(code, 0, err)
        for m in (m for m in MODELS.values() if "quantized" in m):
            self.assertIn("ok  %s (quantized from %s)" % (m["name"], m["quantized"]["from"]), out)
            self.assertEqual(provision.sha256_file(os.path.join(models, m["file"])), m["sha256"])
        # Ranges other than the committed ones give other bytes: refused by the sha256, the file removed.
        meta = self.dir("meta")
        shutil.copy(os.path.join(provision.HERE, "manifest.json"), meta)
        shutil.copytree(os.path.join(provision.HERE, "quantization"), os.path.join(meta, "quantization"))
        ranges = os.path.join(meta, MODELS["face_embed_512d_int8"]["quantized"]["ranges"])
        with open(ranges) as f:
            calibration = json.load(f)
        first = sorted(calibration["tensors"])[0]
        calibration["tensors"][first][1] *= 2
        with open(ranges, "w") as f:
            json.dump(calibration, f)
        os.unlink(os.path.join(models, "face_embed_512d_int8.onnx"))
        code, _, err = run("--models-dir", models, "--shared", SHARED, "--offline", "--manifest", os.path.join(meta, "manifest.json"))
        self.assertEqual(code, 1)
        self.assertIn("FAILED face_embed_512d_int8", err)
        self.assertIn("expected %s" % MODELS["face_embed_512d_int8"]["sha256"], err)
        self.assertFalse(os.path.exists(os.path.join(models, "face_embed_512d_int8.onnx")))
        self.assert_no_temp_files(models)

    def test_cpu_form_is_derived_from_the_verified_model_and_checked(self):
        m = MODELS["face_embed_512d"]
        form = m["cpu_form"]
        models = self.dir("models")
        code, out, err = run("--models-dir", models, "--shared", SHARED, "--offline")
        self.assertEqual(code, 0, err)
        self.assertIn("(CPU form %s)" % form["file"], out)
        dest = os.path.join(models, form["file"])
        self.assertEqual(provision.sha256_file(dest), form["sha256"])
        # Every PRelu became depthwise Convs, Relus and an Add; the rest of the graph is as it was.
        def ops(data):
            graph = onnx_patches.get(data, 7)[0]
            return [onnx_patches.get(n, 4)[0] for n in onnx_patches.get(graph, 1)]
        with open(os.path.join(models, m["file"]), "rb") as f:
            before = ops(f.read())
        with open(dest, "rb") as f:
            after = ops(f.read())
        self.assertNotIn(b"PRelu", after)
        prelus = before.count(b"PRelu")
        self.assertEqual(after.count(b"Conv"), before.count(b"Conv") + 2 * prelus)
        self.assertEqual((after.count(b"Relu"), after.count(b"Add")), (2 * prelus, before.count(b"Add") + prelus))
        # A model without a PRelu is refused, not copied: the patch must have changed something.
        with self.assertRaisesRegex(ValueError, "found no PRelu"):
            onnx_patches.prelu_as_depthwise(read_shared("retinaface_mnet025"))
        # verify-only names a missing CPU form; a run makes it again.
        os.unlink(dest)
        code, _, err = run("--models-dir", models, "--verify-only")
        self.assertEqual(code, 1)
        self.assertIn("MISSING face_embed_512d (CPU form): %s" % dest, err)
        self.assertEqual(run("--models-dir", models, "--shared", SHARED, "--offline")[0], 0)
        self.assertEqual(provision.sha256_file(dest), form["sha256"])
        self.assert_no_temp_files(models)

    def test_corrupt_installed_file_is_replaced_or_removed(self):
        models, empty = self.dir("models"), self.dir("empty")
        dest = os.path.join(models, "retinaface_mnet025.onnx")
        with open(dest, "wb") as f:
            f.write(b"not a model")
        code, _, err = run("--models-dir", models, "--verify-only")
        self.assertEqual(code, 1)
        self.assertIn("CORRUPT retinaface_mnet025", err)
        self.assertEqual(run("--models-dir", models, "--shared", empty, "--offline")[0], 1)
        self.assertFalse(os.path.exists(dest))
        self.assertEqual(run("--models-dir", models, "--shared", SHARED)[0], 0)
        self.assertEqual(provision.sha256_file(dest), MODELS["retinaface_mnet025"]["sha256"])

    def test_unpatched_original_in_shared_is_patched(self):
        models, shared = self.dir("models"), self.dir("shared")
        with open(os.path.join(shared, "retinaface_mnet025.onnx"), "wb") as f:
            f.write(unpatch(read_shared("retinaface_mnet025")))
        run("--models-dir", models, "--shared", shared, "--offline")
        code, _, _ = run("--models-dir", models, "--verify-only")
        self.assertEqual(code, 1)  # the other two are missing
        with open(os.path.join(models, "retinaface_mnet025.onnx"), "rb") as f:
            self.assertEqual(sha(f.read()), MODELS["retinaface_mnet025"]["sha256"])

    def test_download_from_archive_and_http_error(self):
        # A local HTTP server stands in for the npm registry, so this runs without a network.
        www, models, empty = self.dir("www"), self.dir("models"), self.dir("empty")
        member = MODELS["face_embed_512d"]["source"]["archive_member"]
        original = unpatch(read_shared("face_embed_512d"))
        with tarfile.open(os.path.join(www, "pkg.tgz"), "w:gz") as tar:
            info = tarfile.TarInfo(member)
            info.size = len(original)
            tar.addfile(info, io.BytesIO(original))
        handler = functools.partial(QuietHandler, directory=www)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        base = "http://127.0.0.1:%d/" % server.server_address[1]
        manifest = {"models": [dict(MODELS["face_embed_512d"]), dict(MODELS["mobilefacenet_128d"])]}
        manifest["models"][0]["source"] = dict(manifest["models"][0]["source"], url=base + "pkg.tgz")
        manifest["models"][1]["source"] = dict(manifest["models"][1]["source"], url=base + "gone.onnx")
        path = os.path.join(self.tmp, "manifest.json")
        with open(path, "w") as f:
            json.dump(manifest, f)
        code, out, err = run("--models-dir", models, "--shared", empty, "--manifest", path, "--timeout", "5")
        self.assertEqual(code, 1)
        self.assertIn("ok  face_embed_512d (downloaded from", out)
        self.assertIn("FAILED mobilefacenet_128d", err)
        self.assertIn("404", err)
        self.assert_no_temp_files(models)


if __name__ == "__main__":
    unittest.main()
