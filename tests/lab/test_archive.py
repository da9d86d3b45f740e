"""Saving a lab run to one file and loading it back (gan_core.lab.archive): round trip, exact
continuation, and hostile files refused with a sentence."""
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image
from safetensors.numpy import load as st_load, save as st_save

from gan_core.lab import archive
from gan_core.lab.archive import ArchiveError
from gan_core.lab.config import lab_defaults
from gan_core.lab.session import LabSession
from gan_core.lab.toy2d import custom


def tiny(loss="non-saturating", **kw):
    base = dict(g_depth=1, g_width=8, d_depth=1, d_width=8, batch_size=32, eval_samples=200)
    base.update(kw)
    return lab_defaults(loss, **base)


def session(configs=None, dataset="ring8", **kw):
    configs = configs or [tiny("wgan-gp"), tiny("minimax")]
    return LabSession(configs, [c.loss for c in configs], dataset, seed=5, device="cpu", max_steps=500, **kw)


def trained(iters, **kw):
    s = session(**kw)
    s.start()
    s.advance(60.0, max_iters=iters)
    s.take_metrics()
    return s


@pytest.fixture(scope="module")
def saved():
    s = trained(6)
    return s, archive.save(s)


def weights(s):
    return [(e.G.flat.detach().numpy().copy(), e.D.flat.detach().numpy().copy()) for e in s.lock.engines]


def test_round_trip_restores_weights_counters_metrics_and_timeline(saved):
    s, data = saved
    r = LabSession.from_archive(data)
    assert r.step == s.step == 6 and r.d_step == s.d_step
    assert [c.to_dict() for c in r.configs] == [c.to_dict() for c in s.configs] and r.labels == s.labels
    for (g0, d0), (g1, d1) in zip(weights(s), weights(r)):
        np.testing.assert_array_equal(g0, g1)
        np.testing.assert_array_equal(d0, d1)
    assert len(r.frames) == len(s.frames)
    assert r.throughput() == s.throughput()  # it/s goes on from the saved run's training time
    for f0, f1 in zip(s.frames, r.frames):
        assert f0.steps == f1.steps and f0.metrics == f1.metrics
        np.testing.assert_array_equal(np.stack(f0.fakes), np.stack(f1.fakes))
        np.testing.assert_array_equal(np.stack(f0.heat), np.stack(f1.heat))
    for i in range(2):
        assert r.metric_history(i) == s.metric_history(i)
        for key in ("step", "d_loss", "g_loss"):
            np.testing.assert_array_equal(r.loss_history(i)[key], s.loss_history(i)[key])
        np.testing.assert_array_equal(r.members[i].snapshots[-1].samples, s.members[i].snapshots[-1].samples)


def test_continuing_a_saved_run_equals_training_on_without_interruption():
    whole = trained(12)
    half = trained(6)
    resumed = LabSession.from_archive(archive.save(half))
    resumed.start()
    resumed.advance(60.0, max_iters=6)
    assert resumed.step == whole.step == 12
    for (g0, d0), (g1, d1) in zip(weights(whole), weights(resumed)):
        np.testing.assert_array_equal(g0, g1)  # bit for bit: optimiser moments and random streams were saved
        np.testing.assert_array_equal(d0, d1)
    for i in range(2):
        np.testing.assert_array_equal(whole.loss_history(i)["g_loss"], resumed.loss_history(i)["g_loss"])


def test_custom_points_and_a_bigan_encoder_travel():
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    s = LabSession([tiny(bigan=True, e_depth=1, e_width=8)], ["bigan"], custom(pts), seed=1, device="cpu", max_steps=50)
    s.step_both()
    r = LabSession.from_archive(s.to_archive())
    np.testing.assert_array_equal(r.mixture.centres, pts)
    e0, e1 = s.lock.engines[0], r.lock.engines[0]
    np.testing.assert_array_equal(e0.Enc.flat.detach().numpy(), e1.Enc.flat.detach().numpy())


# ------------------------------------------------------------------ hostile files
def edited(data, run_edit=None, tensor_edit=None, meta_edit=None):
    """The file re-written with its run JSON, tensors or metadata changed."""
    with open_meta(data) as (meta, tensors):
        run = json.loads(meta["run"])
        if run_edit:
            run_edit(run)
        if tensor_edit:
            tensor_edit(tensors)
        meta["run"] = json.dumps(run)
        if meta_edit:
            meta_edit(meta)
        return st_save(tensors, metadata=meta)


class open_meta:
    def __init__(self, data):
        (n,) = struct.unpack("<Q", data[:8])
        self.meta = dict(json.loads(data[8:8 + n])["__metadata__"])
        self.tensors = dict(st_load(data))

    def __enter__(self):
        return self.meta, self.tensors

    def __exit__(self, *exc):
        return False


def png_bytes():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def zip_bytes(inner):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("run.safetensors", inner)
    return buf.getvalue()


def set_cfg(key, value):
    def edit(run):
        run["configs"][0][key] = value
    return edit


def nan_weights(t):
    t["engine0.G"] = t["engine0.G"].copy()
    t["engine0.G"][0, 0] = np.nan


def wrong_shape(t):
    t["engine0.D"] = np.zeros((1, 3), np.float32)


HOSTILE = {
    "empty": (lambda d: b"", "empty"),
    "truncated": (lambda d: d[: len(d) // 2], "cut off"),
    "truncated header": (lambda d: d[:20], "cut off"),
    "wrong magic": (lambda d: edited(d, meta_edit=lambda m: m.update(format="something-else")), "not a saved lab run"),
    "future version": (lambda d: edited(d, meta_edit=lambda m: m.update(version="99")), "version"),
    "huge header": (lambda d: struct.pack("<Q", 2**40) + d[8:], "impossible size"),
    "NaN weights": (lambda d: edited(d, tensor_edit=nan_weights), "nan"),
    "mismatched shapes": (lambda d: edited(d, tensor_edit=wrong_shape), "do not match"),
    "weights for another width": (lambda d: edited(d, set_cfg("g_width", 9)), "do not match"),
    "unknown loss": (lambda d: edited(d, set_cfg("loss", "[click](http://evil.example)")), "loss"),
    "huge network": (lambda d: edited(d, set_cfg("d_width", 10**7)), "at most"),
    "latent beyond the page's 256": (lambda d: edited(d, set_cfg("latent_dim", 257)), "at most 256"),
    "negative training time": (lambda d: edited(d, lambda r: r["wall_s"].update(train_wall_s=-1.0)), "timings"),
    "negative step count": (lambda d: edited(d, lambda r: r["engines"][0].update(g_steps=[-3])), "step count"),
    "unknown key": (lambda d: edited(d, set_cfg("exec", "rm -rf /")), "unknown config keys"),
    "five configurations": (lambda d: edited(d, lambda r: r.update(configs=r["configs"] * 3)), "1 to 4"),
    "pickle": (lambda d: pickle.dumps({"G": np.zeros(3)}), "not a saved lab run"),
    "zip": (lambda d: zip_bytes(d), "not a saved lab run"),
    "png image": (lambda d: png_bytes(), "not a saved lab run"),
    "too large": (lambda d: d + b"\0" * (archive.MAX_ARCHIVE_BYTES + 1 - len(d)), "mib"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_with_a_sentence(saved, case):
    make, words = HOSTILE[case]
    bad = make(saved[1])
    with pytest.raises(ArchiveError) as info:
        LabSession.from_archive(bad)
    text = str(info.value)
    assert words in text.lower(), text
    assert text[0].isupper() and "Traceback" not in text
    assert len(text) < 400


def test_the_untouched_file_still_loads_after_the_edit_helper(saved):
    # The hostile cases above edit a valid file: the helper itself must keep a valid file valid.
    r = LabSession.from_archive(edited(saved[1]))
    assert r.step == saved[0].step


def test_the_largest_settings_the_page_offers_can_be_saved_and_loaded():
    s = LabSession([tiny(latent_dim=256, batch_size=1024, n_critic=10, g_depth=4, d_depth=4)], ["big"], "ring8",
                   seed=0, device="cpu", max_steps=5)
    assert LabSession.from_archive(s.to_archive()).configs[0].latent_dim == 256


def test_a_size_limit_thins_the_timeline_keeping_its_first_and_last_frames(saved):
    s = saved[0]
    s.frames = s.frames * 20  # 40+ frames
    full = archive.save(s)
    small = archive.save(s, max_bytes=len(full) * 2 // 3)
    assert len(small) <= len(full) * 2 // 3
    r = LabSession.from_archive(small)
    assert 2 <= len(r.frames) < len(s.frames)
    assert r.frames[0].steps == s.frames[0].steps and r.frames[-1].steps == s.frames[-1].steps
    assert r.step == s.step  # the weights and counters are never thinned
    assert len(LabSession.from_archive(full).frames) == len(s.frames)


def test_a_loaded_run_goes_on_in_a_forked_worker_as_on_the_page():
    from gan_core.lab import worker

    if not worker.supported("cpu"):
        pytest.skip("no fork here")
    whole = trained(12)
    resumed = archive.restore(archive.load(archive.save(trained(6))), background=True)
    assert resumed.worker is not None
    resumed.start()
    resumed.advance(1.0, max_iters=6)  # the child is granted 6 iterations (grants add up) ...
    for _ in range(200):  # ... and asked for its state until it has done them
        if resumed.step >= 12:
            break
        resumed.advance(1.0, max_iters=0)
    resumed.pause()
    assert resumed.step == 12
    for (g0, d0), (g1, d1) in zip(weights(whole), weights(resumed)):
        np.testing.assert_array_equal(g0, g1)
        np.testing.assert_array_equal(d0, d1)
