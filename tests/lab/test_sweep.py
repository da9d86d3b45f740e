"""Sweeps: every run of a sweep equals the same run alone; the grid, the stacks, the statistics, the CLI."""
import json
import math
import statistics

import numpy as np
import pytest
import torch
from scipy import stats

from gan_core.lab import toy_train
from gan_core.lab.config import lab_defaults
from gan_core.lab.losses import LOSSES
from gan_core.lab.records import mean_interval, share_interval
from gan_core.lab.sweep import MAX_RUNS, Sweep, plan_stacks, summarise, sweep_runs
from gan_core.lab.trainer import Trainer

TINY = dict(latent_dim=2, g_depth=2, g_width=16, d_depth=2, d_width=16, batch_size=32,
            snapshot_every=4, eval_samples=200, iters=9)


def _assert_same_run(sw, i, run):
    solo = Trainer(run.config, run.dataset, seed=run.seed, device="cpu")
    solo.train(run.config.iters)
    member = sw.trainer(i)
    assert member.step_count == solo.step_count == run.config.iters
    assert member.d_step_count == solo.d_step_count
    # Bitwise equal on the development machine; a hair of tolerance for other CPUs.
    eng, k = member._engine, member._i
    torch.testing.assert_close(eng.G.flat[k], solo._engine.G.flat[0], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(eng.D.flat[k], solo._engine.D.flat[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(member.snapshot().samples, solo.snapshot().samples, rtol=1e-5, atol=1e-6)
    for a, b in zip(member.snapshots, solo.snapshots, strict=True):
        assert a.step == b.step
        assert a.metrics["modes_captured"] == b.metrics["modes_captured"]
        assert a.metrics["high_quality"] == pytest.approx(b.metrics["high_quality"], abs=1e-3)
    np.testing.assert_allclose([h["g_loss"] for h in member.history], [h["g_loss"] for h in solo.history],
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_run_of_a_sweep_equals_the_same_run_alone(loss):
    runs = sweep_runs("ring8", [loss], seeds=[0, 5, 9], **TINY)
    sw = Sweep(runs, device="cpu")
    assert [len(s) for s in sw.stacks] == [3]
    assert sw.train()
    for i, run in enumerate(runs):
        _assert_same_run(sw, i, run)


def test_a_mixed_shape_sweep_is_grouped_by_shape_and_each_run_equals_its_run_alone():
    runs = (sweep_runs("ring8", ["minimax", "hinge", "wgan-gp"], seeds=[1, 2], **TINY)
            + sweep_runs("grid25", ["lsgan"], seeds=[3], **dict(TINY, d_width=24, iters=7))
            + sweep_runs("ring8", ["non-saturating"], seeds=[4], bigan=True, **TINY)
            + sweep_runs("ring8", ["wgan-clip"], seeds=[2], **dict(TINY, g_width=8)))
    sw = Sweep(runs, device="cpu")
    # minimax + hinge stack (same shape, one critic step); wgan-gp (penalty, 3 critic steps);
    # grid25; the BiGAN; the narrower wgan-clip.
    assert sorted(len(s) for s in sw.stacks) == [1, 1, 1, 2, 4]
    assert sorted(sorted(s) for s in sw.stacks)[0] == [0, 1, 2, 3]
    sw.train()
    for i, run in enumerate(runs):
        _assert_same_run(sw, i, run)


def test_sixteen_runs_at_the_lab_size_stack_into_one_engine_and_equal_their_runs_alone():
    runs = sweep_runs("ring8", ["non-saturating"], seeds=16, iters=3, snapshot_every=0, eval_samples=300)
    sw = Sweep(runs, device="cpu")
    assert [len(s) for s in sw.stacks] == [16]
    sw.train()
    for i in (0, 7, 15):
        _assert_same_run(sw, i, runs[i])


def test_the_grid_is_the_product_of_its_axes_with_the_lab_defaults():
    runs = sweep_runs(["ring8", "grid25"], ["minimax", "wgan-gp"], seeds=3, lrs=[1e-3, 5e-4])
    assert len(runs) == 2 * 2 * 2 * 3
    assert [r.seed for r in runs[:3]] == [0, 1, 2]
    r = runs[3]  # ring8, minimax, second learning rate, seed 0
    assert (r.dataset, r.seed, r.config.lr_d, r.config.lr_g) == ("ring8", 0, 5e-4, 5e-4)
    assert r.config == lab_defaults("minimax", "ring8", lr_d=5e-4, lr_g=5e-4)
    assert runs[-1].config.g_width == 128  # grid25's own network size
    assert {r.config.iters for r in sweep_runs("ring8", ["minimax"], seeds=1, iters=77)} == {77}


def test_stacks_are_cut_at_max_stack_and_bad_sweeps_get_sentences():
    runs = sweep_runs("ring8", ["minimax", "lsgan"], seeds=6, **TINY)
    assert [len(s) for s in plan_stacks(runs, max_stack=5)] == [5, 5, 2]
    assert sorted(i for s in plan_stacks(runs, 5) for i in s) == list(range(12))
    for bad, match in ((dict(seeds=0), "at least 1"), (dict(seeds=[]), "at least one seed"),
                       (dict(lrs=[-1.0]), "positive"), (dict(iters=0), "positive integer"),
                       (dict(seeds=MAX_RUNS + 1), "at most")):
        kw = dict(seeds=2) | bad
        with pytest.raises(ValueError, match=match):
            sweep_runs("ring8", ["minimax"], **kw)
    with pytest.raises(ValueError, match="unknown loss"):
        sweep_runs("ring8", ["gan"], seeds=1)
    with pytest.raises(ValueError, match="max_stack"):
        plan_stacks(runs, max_stack=0)


def test_mean_interval_matches_the_t_interval_and_the_sample_spread():
    values = [8, 3, 7, 8, 6, 8, 5]
    st = mean_interval(values)
    assert st["mean"] == pytest.approx(statistics.mean(values))
    assert st["std"] == pytest.approx(statistics.stdev(values))
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert st["ci"] == pytest.approx([lo, hi])
    assert math.isnan(mean_interval([4])["std"]) and mean_interval([])["n"] == 0


def test_share_interval_is_the_wilson_interval():
    # 8 of 10: the Wilson score interval is 0.490 to 0.943 (textbook value).
    st = share_interval(8, 10)
    assert st["share"] == 0.8
    assert st["ci"] == pytest.approx([0.4902, 0.9433], abs=5e-4)
    assert share_interval(0, 10)["ci"][0] == pytest.approx(0.0) and share_interval(10, 10)["ci"][1] == pytest.approx(1.0)


def test_summary_groups_runs_that_differ_only_in_their_seed():
    def rec(loss, seed, modes, hq):
        return {"config": lab_defaults(loss).to_dict(), "dataset": "ring8", "seed": seed, "diverged": None,
                "metrics": {"modes_captured": modes, "n_modes": 8, "high_quality": hq}}
    records = [rec("minimax", 0, 8, 0.9), rec("wgan-gp", 0, 8, 0.8), rec("minimax", 1, 2, 0.5),
               rec("minimax", 2, 0, 0.1)]
    cells = summarise(records)
    assert [(c["loss"], c["n_runs"], c["seeds"]) for c in cells] == [("minimax", 3, [0, 1, 2]), ("wgan-gp", 1, [0])]
    mm = cells[0]
    assert mm["modes_captured"]["mean"] == pytest.approx(10 / 3)
    assert mm["all_modes"]["k"] == 1 and mm["all_modes"]["n"] == 3
    assert mm["high_quality"]["mean"] == pytest.approx(0.5)
    # The t interval of 8, 2, 0 reaches below 0 modes; the summary stops it at 0.
    assert mean_interval([8, 2, 0])["ci"][0] < 0 and mm["modes_captured"]["ci"][0] == 0


def test_sweep_cli_writes_runs_in_the_single_run_form_and_a_summary(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    rc = toy_train.main(["sweep", "--dataset", "ring8", "--losses", "minimax,lsgan", "--seeds", "2",
                         "--iters", "3", "--json", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    single = tmp_path / "single.json"
    assert toy_train.main(["--loss", "lsgan", "--iters", "3", "--seed", "1", "--json", str(single)]) == 0
    alone = json.loads(single.read_text())
    assert len(data["runs"]) == 4 and set(data["runs"][0]) == set(alone)
    run = data["runs"][3]
    assert (run["config"]["loss"], run["seed"]) == ("lsgan", 1)
    assert run["config"] == alone["config"]
    assert run["metrics"]["modes_captured"] == alone["metrics"]["modes_captured"]
    assert run["metrics"]["w1"] == pytest.approx(alone["metrics"]["w1"], rel=1e-4)
    assert [c["loss"] for c in data["summary"]] == ["minimax", "lsgan"]
    err = capsys.readouterr().err
    assert "100.0 %" in err and "run-iterations" in err


def test_sweep_cli_reports_bad_settings_without_a_traceback(capsys):
    assert toy_train.main(["sweep", "--seeds", "0"]) == 2
    assert "--seeds must be at least 1" in capsys.readouterr().err
    assert toy_train.main(["sweep", "--losses", "minimax,gan", "--seeds", "1"]) == 2
    assert "unknown loss 'gan'" in capsys.readouterr().err
    assert toy_train.main(["sweep", "--lrs", "fast", "--seeds", "1"]) == 2
    assert "--lrs" in capsys.readouterr().err


def _bench_module():
    """scripts/bench_sweep.py, imported from its file (scripts/ is not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_sweep.py"
    spec = importlib.util.spec_from_file_location("bench_sweep", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_benchmark_counts_matrix_flops_as_torch_does():
    # scripts/bench_sweep.py counts its own (torch's counter refuses the gradient penalty);
    # where torch's FlopCounterMode works (no penalty) the two agree.
    from torch.utils.flop_counter import FlopCounterMode

    from gan_core.lab.engine import _Engine
    from gan_core.lab.toy2d import make_dataset

    bench = _bench_module()
    cpu = torch.device("cpu")
    eng = _Engine([lab_defaults("lsgan", "ring8", snapshot_every=0)], make_dataset("ring8"), [0], cpu)
    eng.step()
    with FlopCounterMode(display=False) as fc:
        eng.step()
    assert bench.flops_per_iteration("lsgan", cpu) == fc.get_total_flops() > 4e7
    assert bench.flops_per_iteration("wgan-gp", cpu) > 3 * fc.get_total_flops()  # 3 critic steps + penalty


def test_the_benchmarks_host_draws_are_exactly_a_steps_draws():
    # scripts/bench_sweep.py times the runs' CPU random streams alone (host_draw_us): its
    # draw_iteration must consume each run's generators exactly as one training step does.
    from gan_core.lab.engine import _Engine
    from gan_core.lab.toy2d import make_dataset

    bench = _bench_module()
    cpu = torch.device("cpu")
    for loss in ("minimax", "wgan-gp"):
        config = lab_defaults(loss, "ring8", snapshot_every=0)
        stepped, drawn = (_Engine([config] * 3, make_dataset("ring8"), [0, 1, 2], cpu) for _ in range(2))
        stepped.step()
        bench.draw_iteration(drawn)
        for gens in ("gen_data", "gen_z", "gen_mix"):
            for a, b in zip(getattr(stepped, gens), getattr(drawn, gens)):
                assert torch.equal(a.get_state(), b.get_state()), (loss, gens)
        assert not torch.equal(stepped.gen_z[0].get_state(),
                               _Engine([config], make_dataset("ring8"), [0], cpu).gen_z[0].get_state())


def test_a_stacked_adam_step_equals_the_step_alone_for_any_stack_size():
    # Adam's bias correction raises the betas to the step count.  PyTorch's CPU kernel computes a
    # contiguous run of 16 or more floats with a vectorised pow rounded differently from the scalar
    # pow of shorter runs: stacks of 16 (the sweep's default) drifted 1 ulp from their runs alone
    # after ~170 steps and ended on other modes after 3,000.  Every other operation of the step is
    # correctly rounded, so a member must equal its run alone bit for bit on any CPU.
    from gan_core.lab.engine import _StackedOptimizer
    gen = torch.Generator().manual_seed(0)
    grads = torch.randn(600, 1, 37, generator=gen)
    start = torch.randn(1, 37, generator=gen) * 1e-4  # small weights show a 1-ulp change of the step
    betas = [(0.5, 0.999), (0.0, 0.9), (0.9, 0.99)]
    for e in (16, 17, 40):
        for beta in betas:
            alone = _StackedOptimizer(start.clone(), ["adam"], [1e-3], [beta])
            stack = _StackedOptimizer(start.repeat(e, 1), ["adam"] * e, [1e-3] * e, [beta] * e)
            for t, g in enumerate(grads):
                alone.step(g, torch.ones(1, 1))
                stack.step(g.repeat(e, 1), torch.ones(e, 1))
                assert torch.equal(stack.param[0], alone.param[0]), (e, beta, t + 1)


def _static_pair(configs, seeds, capture=False, device="cpu"):
    from gan_core.lab.engine import _Engine
    from gan_core.lab.toy2d import make_dataset
    usual, static = (_Engine(configs, make_dataset("ring8"), seeds, torch.device(device)) for _ in range(2))
    static.use_static_step(capture=capture)
    return usual, static


def _assert_engines_equal(a, b, members=None):
    members = range(a.E) if members is None else members
    for e in members:
        for name in ("G", "D"):
            assert torch.equal(getattr(a, name).flat.data[e], getattr(b, name).flat.data[e]), (name, e)
        for opt in ("opt_d", "opt_g"):
            for t in ("m", "v", "t"):
                assert torch.equal(getattr(getattr(a, opt), t)[e], getattr(getattr(b, opt), t)[e]), (opt, t, e)
        assert a.history[e] == b.history[e] or np.allclose(  # NaN-free histories compare exactly
            [h["g_loss"] for h in a.history[e]], [h["g_loss"] for h in b.history[e]], equal_nan=True)
        assert (a.g_steps[e], a.d_steps[e], a.diverged[e]) == (b.g_steps[e], b.d_steps[e], b.diverged[e])
        assert [(s.step, s.metrics["modes_captured"]) for s in a.snapshots[e]] == \
            [(s.step, s.metrics["modes_captured"]) for s in b.snapshots[e]]
        np.testing.assert_array_equal(a.snapshots[e][-1].samples, b.snapshots[e][-1].samples)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_static_step_equals_the_usual_step_bit_for_bit(loss):
    # The static step (engine.use_static_step: fixed buffers, the step a CUDA graph captures) on
    # the CPU without capture: the same draws in the same order, the same arithmetic; with a
    # learning-rate decay, whose rate tensor the step reads in place.
    configs = [lab_defaults(loss, **dict(TINY, lr_final_frac=frac)) for frac in (1.0, 0.25, 0.5)]
    usual, static = _static_pair(configs, [0, 5, 9])
    for _ in range(9):
        usual.step()
        static.step()
    assert static._static is not None
    _assert_engines_equal(usual, static)


def test_a_member_diverging_leaves_the_static_step_and_the_others_stay_equal():
    configs = [lab_defaults("hinge", **TINY), lab_defaults("hinge", **dict(TINY, optimizer="sgd", lr_d=1e12,
                                                                            lr_g=1e12))]
    usual, static = _static_pair(configs, [0, 1])
    for _ in range(10):
        usual.step()
        static.step()
    assert usual.diverged[1] is not None and usual.diverged[0] is None
    assert static.diverged[1] == usual.diverged[1]          # the same step, loss and value
    assert static._static is None                             # it trains the usual way from then on
    _assert_engines_equal(usual, static, members=[0])
    assert usual.g_steps == static.g_steps and usual.g_steps[0] == 10 and usual.g_steps[1] < 10


def test_a_sweep_with_cuda_graphs_on_the_cpu_equals_its_runs_alone():
    # --cuda-graphs on the CPU: the static step without capture; a BiGAN stack trains the usual way.
    runs = (sweep_runs("ring8", ["minimax", "wgan-gp"], seeds=[1, 2], **TINY)
            + sweep_runs("ring8", ["non-saturating"], seeds=[4], bigan=True, **TINY))
    sw = Sweep(runs, device="cpu", cuda_graphs=True)
    assert sorted(eng._static is not None for eng in sw.engines) == [False, True, True]
    assert sw.train()
    for i, run in enumerate(runs):
        _assert_same_run(sw, i, run)


def test_the_static_step_refuses_what_it_cannot_do():
    from gan_core.lab.engine import _Engine
    from gan_core.lab.toy2d import make_dataset
    bigan = _Engine([lab_defaults("minimax", bigan=True, **TINY)], make_dataset("ring8"), [0], torch.device("cpu"))
    with pytest.raises(ValueError, match="BiGAN"):
        bigan.use_static_step()
    mixed = _Engine([lab_defaults("hinge", **TINY), lab_defaults("hinge", n_critic=2, **TINY)],
                    make_dataset("ring8"), [0, 1], torch.device("cpu"))
    with pytest.raises(ValueError, match="critic steps"):
        mixed.use_static_step()
