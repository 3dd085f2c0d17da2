"""Draw the sample images in this folder (made by the project; no third-party pixels).

Run: python assets/make_assets.py  (deterministic: the same files every time)
"""

from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent


def portrait(h: int = 800, w: int = 640, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A person (head, hair, neck, shoulders to the bottom edge) before a textured wall."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.stack([120 + 60 * xx / w, 150 + 40 * yy / h, 110 + 30 * np.sin(xx / 40)], -1)
    for _ in range(25):  # blurry shapes on the wall
        c = tuple(int(v) for v in rng.integers(60, 220, 3))
        cv2.circle(bg, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(10, 60)), c, -1)
    bg = cv2.GaussianBlur(bg, (0, 0), 6)
    person = np.zeros((h, w), np.uint8)
    img = bg.copy()
    cx = w // 2
    # torso and shoulders
    cv2.ellipse(img, (cx, h + 40), (int(0.38 * w), int(0.36 * h)), 0, 180, 360, (40, 60, 150), -1)
    cv2.ellipse(person, (cx, h + 40), (int(0.38 * w), int(0.36 * h)), 0, 180, 360, 1, -1)
    # neck
    cv2.rectangle(img, (cx - 40, int(0.45 * h)), (cx + 40, int(0.7 * h)), (170, 130, 110), -1)
    cv2.rectangle(person, (cx - 40, int(0.45 * h)), (cx + 40, int(0.7 * h)), 1, -1)
    # hair, then face
    cv2.ellipse(img, (cx, int(0.33 * h)), (118, 150), 0, 0, 360, (45, 30, 25), -1)
    cv2.ellipse(person, (cx, int(0.33 * h)), (118, 150), 0, 0, 360, 1, -1)
    cv2.ellipse(img, (cx, int(0.36 * h)), (95, 125), 0, 0, 360, (205, 160, 135), -1)
    for dx in (-35, 35):  # eyes
        cv2.circle(img, (cx + dx, int(0.34 * h)), 8, (50, 40, 40), -1)
    cv2.ellipse(img, (cx, int(0.43 * h)), (30, 10), 0, 0, 180, (150, 70, 70), 3)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    img = img + rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), person


def scene(h: int = 375, w: int = 500, seed: int = 1) -> np.ndarray:
    """A few coloured shapes on a ground and sky, the size of a VOC photo."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    img[: h // 2] = (190, 210, 235)
    img[h // 2:] = (110, 140, 90)
    cv2.rectangle(img, (60, 150), (200, 300), (180, 40, 40), -1)
    cv2.circle(img, (340, 220), 70, (240, 200, 40), -1)
    cv2.fillPoly(img, [np.array([[250, 340], [470, 340], [360, 250]], np.int32)], (60, 60, 160))
    img = img + rng.normal(0, 5, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


if __name__ == "__main__":
    rgb, person = portrait()
    cv2.imwrite(str(HERE / "portrait.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    cv2.imwrite(str(HERE / "portrait_mask.png"), person * 255)
    cv2.imwrite(str(HERE / "scene.jpg"), scene()[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    print("wrote", *sorted(p.name for p in HERE.glob("*.*g")))
