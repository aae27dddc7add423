"""A seed-style comparison service, for the load benchmark's --against: Flask under gunicorn, OpenCV DNN, the same two
ONNX models as FaceOrleans' defaults (RetinaFace MobileNet-0.25 and face_embed_512d) with ../shared/README.md's
preprocessing. It is what a first Python prototype of the service looks like, kept only to take ratios against; it is
not part of the product and has no tests of its own beyond answering the same pairs (the benchmark counts failures).

POST /compare with multipart image1 and image2 -> {"similarity": s, "is_same_person": bool, "threshold": t}.
Environment: SEED_MODELS (folder with retinaface_mnet025.onnx and face_embed_512d.onnx; default ../../../shared/models),
SEED_THRESHOLD (default 0.3, the manifest's for face_embed_512d).
"""
import os
from itertools import product

import cv2
import numpy as np
from flask import Flask, jsonify, request

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.environ.get("SEED_MODELS", os.path.join(HERE, "..", "..", "..", "shared", "models"))
THRESHOLD = float(os.environ.get("SEED_THRESHOLD", "0.3"))
SIDE = 640
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
                    dtype=np.float64)

detector = cv2.dnn.readNetFromONNX(os.path.join(MODELS, "retinaface_mnet025.onnx"))
recognizer = cv2.dnn.readNetFromONNX(os.path.join(MODELS, "face_embed_512d.onnx"))
DETECTOR_OUTPUTS = ["output0", "572", "571"]


def _priors():
    """Centre-form anchors normalised to the 640x640 input: min sizes per step, two per cell."""
    anchors = []
    for step, sizes in zip([8, 16, 32], [[16, 32], [64, 128], [256, 512]]):
        cells = int(np.ceil(SIDE / step))
        for i, j in product(range(cells), range(cells)):
            for size in sizes:
                anchors.append([(j + 0.5) * step / SIDE, (i + 0.5) * step / SIDE, size / SIDE, size / SIDE])
    return np.array(anchors, dtype=np.float32)


PRIORS = _priors()


def detect(bgr, score_threshold=0.7):
    """The largest face's landmarks (5x2, image pixels), or None: letterbox to 640, mean subtraction, prior decoding."""
    height, width = bgr.shape[:2]
    scale = SIDE / max(height, width)
    resized = cv2.resize(bgr, (round(width * scale), round(height * scale)))
    canvas = np.zeros((SIDE, SIDE, 3), dtype=np.uint8)
    canvas[:resized.shape[0], :resized.shape[1]] = resized
    blob = cv2.dnn.blobFromImage(canvas, 1.0, (SIDE, SIDE), (104, 117, 123), swapRB=False, crop=False)
    detector.setInput(blob, "input0")
    deltas, scores, landmark_deltas = (o.reshape(o.shape[-2], o.shape[-1]) for o in detector.forward(DETECTOR_OUTPUTS))
    keep = np.where(scores[:, 1] >= score_threshold)[0]
    if keep.size == 0:
        return None
    priors, deltas, landmark_deltas, face_scores = PRIORS[keep], deltas[keep], landmark_deltas[keep], scores[keep, 1]
    centres = priors[:, :2] + deltas[:, :2] * 0.1 * priors[:, 2:]
    sizes = priors[:, 2:] * np.exp(deltas[:, 2:] * 0.2)
    boxes = np.hstack([centres - sizes / 2, sizes]) * SIDE / scale
    chosen = cv2.dnn.NMSBoxes(boxes.tolist(), face_scores.tolist(), score_threshold, 0.4)
    chosen = np.array(chosen).reshape(-1)
    largest = chosen[np.argmax(boxes[chosen, 2] * boxes[chosen, 3])]
    points = priors[largest, :2] + landmark_deltas[largest].reshape(5, 2) * 0.1 * priors[largest, 2:]
    return points * SIDE / scale


def umeyama(source, target):
    """Least-squares similarity transform (rotation, uniform scale, translation) from source to target, 2x3."""
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, d, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(d) @ sign) / s.var(axis=0).sum()
    return np.hstack([scale * rotation, (mean_t - scale * rotation @ mean_s).reshape(2, 1)])


def embed(bgr, landmarks):
    crop = cv2.warpAffine(bgr, umeyama(landmarks.astype(np.float64), TEMPLATE), (112, 112), flags=cv2.INTER_LINEAR)
    blob = cv2.dnn.blobFromImage(crop, 1 / 128.0, (112, 112), (127.5, 127.5, 127.5), swapRB=True, crop=False)
    recognizer.setInput(blob, "input")
    vector = recognizer.forward().reshape(-1)
    return vector / np.linalg.norm(vector)


app = Flask(__name__)


@app.get("/health")
def health():
    return jsonify(status="healthy")


@app.post("/compare")
def compare():
    embeddings = []
    for field in ("image1", "image2"):
        upload = request.files.get(field)
        if upload is None:
            return jsonify(error=f"missing {field}"), 400
        image = cv2.imdecode(np.frombuffer(upload.read(), dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            return jsonify(error=f"{field} is not an image"), 400
        landmarks = detect(image)
        if landmarks is None:
            return jsonify(similarity=None, is_same_person=False, threshold=THRESHOLD, message=f"No face found in {field}.")
        embeddings.append(embed(image, landmarks))
    similarity = float(np.dot(embeddings[0], embeddings[1]))
    return jsonify(similarity=similarity, is_same_person=similarity >= THRESHOLD, threshold=THRESHOLD)
