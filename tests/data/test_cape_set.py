"""The synthetic CAPE set in the MP-100 format: round trip through the real-format reader,
determinism, RNG streams apart from the benchmark's, keypoints on the figure, atomic writes."""

import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from posebh import skeletons
from posebh.data import cape_set, novel_skeletons, synthetic
from posebh.data.category_splits import PARTS
from posebh.evaluation.cape_episodes import category_rng
from posebh.evaluation.cape_mp100 import check_mp100_splits, mp100_file, read_mp100

N, CANVAS = 3, (96, 96)
NAMES = list(novel_skeletons.load_novel_skeletons())


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("cape") / "set"
    return root, cape_set.write_cape_set(root, N, seed=0, canvas=CANVAS)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_summary(written):
    root, summary = written
    assert sorted(p.name for p in root.iterdir()) == ["annotations", "images", "source.json"]
    assert sorted(p.name for p in (root / "images").iterdir()) == sorted(NAMES)
    assert summary["instances"] == N * len(NAMES) and list(summary["categories"]) == NAMES
    assert summary["annotations"] == str(root / "annotations")
    assert set(summary["splits"]) == {f"split{k}" for k in range(1, 6)}
    splits = check_mp100_splits(root / "annotations", splits=(1, 2, 3, 4, 5),
                                expected_sizes=(6, 2, 2))
    for s in splits:
        assert {p: sorted(s.part(p)) for p in PARTS} == summary["splits"][s.name]


def test_read_mp100_reads_back_every_instance_exactly(written):
    root, summary = written
    seen: dict[str, int] = {}
    for k in range(1, 6):
        for part in PARTS:
            path = mp100_file(root / "annotations", k, part)
            back = read_mp100(path)
            assert set(back) == set(summary["splits"][f"split{k}"][part])
            for name, instances in back.items():
                sk = novel_skeletons.get(name)
                assert len(instances) == N
                for i, inst in enumerate(instances):
                    _, ann, _ = cape_set.render_instance(name, 0, i, CANVAS)
                    assert np.array_equal(inst.keypoints.ravel(), ann["keypoints"])
                    assert inst.keypoints.shape == (sk.num_keypoints, 3)
                    x, y, w, h = ann["bbox"]  # POMNet's cleaning: x2 = x1 + w - 1 inside the image
                    x2, y2 = min(CANVAS[0] - 1, x + w - 1), min(CANVAS[1] - 1, y + h - 1)
                    assert np.allclose(inst.box, [x, y, x2 - x, y2 - y])
                    assert inst.image_file == f"{name}/{i:06d}.png"
                    with Image.open(root / "images" / inst.image_file) as im:
                        assert im.size == CANVAS
                seen[name] = seen.get(name, 0) + 1
    assert seen == {n: 5 for n in NAMES}  # each category in one part of every split


def test_categories_carry_the_skeleton_names_and_edges(written):
    root, _ = written
    import json

    doc = json.loads(mp100_file(root / "annotations", 1, "train").read_text())
    for cat in doc["categories"]:
        sk = novel_skeletons.get(cat["name"])
        assert cat["keypoints"] == list(sk.names) and cat["supercategory"] == sk.domain
        assert cat["skeleton"] == [[a + 1, b + 1] for a, b in sk.edges]
    ids = [im["id"] for im in doc["images"]]
    assert len(ids) == len(set(ids)) == 6 * N
    assert all(a["id"] == a["image_id"] for a in doc["annotations"])


def test_same_arguments_same_bytes(written, tmp_path):
    root, _ = written
    again = tmp_path / "again"
    cape_set.write_cape_set(again, N, seed=0, canvas=CANVAS)
    assert _files(again).keys() == _files(root).keys()
    first, second = _files(root), _files(again)
    assert all(first[k] == second[k] for k in first if k != "source.json")
    other = tmp_path / "other"
    cape_set.write_cape_set(other, N, seed=1, canvas=CANVAS)
    assert _files(other)["images/hand_palm/000000.png"] != first["images/hand_palm/000000.png"]


def test_cape_streams_are_apart_from_the_benchmarks():
    codes = {synthetic.dataset_code(d) for d in skeletons.load_skeletons()}
    assert not codes & {cape_set.category_code(c) for c in NAMES}
    assert cape_set.CAPE_STREAM not in (0, 1, 2)

    def state(rng: np.random.Generator) -> tuple[int, ...]:
        return tuple(rng.bit_generator.seed_seq.generate_state(4).tolist())

    seeds, n = (0, 1, 1000, 1001), 60  # data seeds: seed * 1000 + split index
    cape = {state(cape_set.instance_rng(c, s, i)) for c in NAMES for s in seeds for i in range(n)}
    bench = set()
    for d in skeletons.load_skeletons():
        code = synthetic.dataset_code(d)
        for s in seeds:
            bench |= {state(synthetic.scene_rng(d, s, i)) for i in range(n)}
            bench |= {state(np.random.default_rng([s, code, 1, v])) for v in range(n)}
            bench.add(state(np.random.default_rng([s, code, 2])))
    episodes = {state(category_rng(c, s)) for c in NAMES for s in seeds}
    augment = {state(np.random.default_rng([s, e, i])) for s in seeds for e in range(5)
               for i in range(n)}  # data/dataset.py's per-sample augmentation streams
    assert len(cape) == len(NAMES) * len(seeds) * n
    assert not cape & bench and not cape & episodes and not cape & augment


@pytest.mark.parametrize("name", NAMES)
def test_rendered_keypoints_land_on_the_figure(name):
    style = novel_skeletons.load_table().style(name)
    near = labelled = 0
    for i in range(8):
        _, mask, rect, fig = synthetic.scene_layers(style, cape_set.instance_rng(name, 0, i),
                                                     (160, 160))
        _, ann, kps = cape_set.render_instance(name, 0, i, (160, 160))
        assert np.allclose(kps, novel_skeletons.read_keypoints(fig, novel_skeletons.get(name)))
        x, y, w, h = ann["bbox"]
        v = np.asarray(ann["keypoints"]).reshape(-1, 3)[:, 2]
        inside = ((kps >= 0) & (kps <= 159)).all(1)  # (J,)
        assert ((v > 0) == inside).all()  # v = 0 exactly outside the image
        if rect is not None:  # v = 1 exactly under the occluder
            x0, y0, x1, y1 = rect
            under = inside & (kps[:, 0] >= x0) & (kps[:, 0] <= x1) & (kps[:, 1] >= y0) & (
                kps[:, 1] <= y1)
            assert ((v == 1) == under).all()
        grown = np.asarray(mask.filter(ImageFilter.MaxFilter(5))) > 0  # (H, W), 2 px margin
        for (px, py), vis in zip(kps, v):
            if vis == 0:
                continue
            labelled += 1
            assert x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1, (name, i)
            near += bool(grown[int(np.rint(py)), int(np.rint(px))])
    assert labelled > 0 and near == labelled, f"{name}: {labelled - near} points off the figure"


def test_an_instance_is_a_function_of_category_seed_and_index_only():
    a = cape_set.render_instance("animal_topline", 0, 5)
    b = cape_set.render_instance("animal_topline", 0, 5)
    assert a[1] == b[1] and a[0].tobytes() == b[0].tobytes()
    assert cape_set.render_instance("animal_topline", 0, 6)[1] != a[1]
    assert zlib.crc32(b"cape:animal_topline") == cape_set.category_code("animal_topline")


def test_publish_swaps_the_folder_in_or_leaves_it_untouched(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    (root / "stale.txt").write_text("old")

    def broken(tmp: Path) -> None:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        cape_set.publish(root, broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
    assert [p.name for p in root.iterdir()] == ["stale.txt"]
    assert cape_set.publish(root, lambda tmp: (tmp / "new.txt").write_text("new")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
    assert [p.name for p in root.iterdir()] == ["new.txt"]


def test_the_occluder_marks_some_points():
    """Over the whole set some labelled points are v = 1 (the occluder is drawn over them)."""
    v = [np.asarray(cape_set.render_instance(n, 0, i, CANVAS)[1]["keypoints"]).reshape(-1, 3)[:, 2]
         for n in NAMES for i in range(6)]
    assert (np.concatenate(v) == 1).any() and (np.concatenate(v) == 2).any()
