"""``twinnet.sweep``: seed shards, worker processes pinned to one thread, merges that lose nothing.

The witness for every merge is the same cases run in one piece: a merged
summary must equal it (counts, failures, worst ratios and the seeds that reached
them, per-case ratios). Runs compared with each other use one thread on both
sides, since torch may round a float32 reduction differently with more.
"""

import json

import numpy as np
import pytest

import compare.cases
import scratch
from benchmarks.suite import thread_limit
from compare.present.jsonable import jsonable
from twinnet import sweep
from twinnet.cli import main
from twinnet.mutants.layer_bugs import SigmoidNoDerivative
from twinnet.sweep import (
    DtypeSummary,
    Shard,
    Worst,
    merge_documents,
    plan_shards,
    run_sweep,
)


def comparable(summary: DtypeSummary) -> dict:
    d = summary.to_dict()
    d.pop("seconds")
    return d


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 7, 100, 1501])
def test_shards_cover_every_seed_once_in_order(jobs, n):
    shards = plan_shards(["float64", "float32"], 10, n, jobs)
    for dt in ("float64", "float32"):
        seeds = [s for sh in shards if sh.dtype == dt for s in range(sh.start, sh.start + sh.n)]
        assert seeds == list(range(10, 10 + n))
    if jobs > 1 and n >= 1501:
        assert len(shards) >= 2 * jobs * 10  # enough shards to keep every worker busy


def test_shards_merged_equal_one_run_of_the_same_seeds():
    whole = sweep.run_seed_range(Shard("float64", 3, 6))
    first = sweep.run_seed_range(Shard("float64", 3, 2))
    rest = sweep.run_seed_range(Shard("float64", 5, 4))
    merged = first.merge(rest)
    assert comparable(merged) == comparable(whole)
    assert merged.cases == 6 and len(merged.ratios) == 6
    assert merged.worst["gradient"].seed in range(3, 9)
    assert merged.closest.ratio == max(merged.ratios)


def _worst(ratio, seed):
    return Worst(ratio, ratio * 1e-8, 1e-8, seed, f"entry {seed}")


def test_merge_keeps_the_larger_worst_and_gives_ties_to_the_later_seed():
    a = DtypeSummary("float32", 2, worst={"forward": _worst(0.5, 1), "gradient": _worst(0.2, 0)},
                     ratios=[0.5, 0.2], closest=_worst(0.5, 1))
    b = DtypeSummary("float32", 1, worst={"forward": _worst(0.5, 7), "gradient": _worst(0.1, 7)},
                     ratios=[0.5], closest=_worst(0.5, 7))
    merged = a.merge(b)
    assert merged.worst["forward"].seed == 7  # tie: later seed, as one run counts with >=
    assert merged.worst["gradient"].seed == 0  # 0.2 beats 0.1
    assert merged.closest.seed == 1  # closest keeps the first strictly larger, as one run
    assert merged.ratios == [0.5, 0.2, 0.5] and merged.cases == 3
    with pytest.raises(ValueError, match="float64"):
        a.merge(DtypeSummary("float64"))


def test_summary_survives_strict_json_with_nan_and_inf():
    s = DtypeSummary("float64", 2, failed=[{"seed": 4, "dtype": "float64", "case": "c",
                                            "error": "boom"}],
                     worst={"gradient": Worst(float("inf"), float("inf"), 1e-7, 4, "dW")},
                     ratios=[0.25], closest=Worst(0.25, float("nan"), float("nan"), 3, "x"))
    text = json.dumps(jsonable(s.to_dict()), allow_nan=False)
    back = DtypeSummary.from_dict(json.loads(text))
    assert back.worst["gradient"].ratio == float("inf") and np.isnan(back.closest.diff)
    assert back.failed == [{"seed": 4, "dtype": "float64", "case": "c"}] and back.passed == 1


def _one_thread_json(capsys, *args) -> dict:
    assert main(["check", "--json", "--dtype", "float32", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_two_jobs_give_the_serial_result_to_the_last_bit(capsys):
    # seeds 40 and 42 are Conv2d cases whose float32 dL/dW torch rounds differently
    # at two threads: the serial run must run its cases at one thread, as workers do
    serial = _one_thread_json(capsys, "-n", "8", "--seed", "36")
    pooled = _one_thread_json(capsys, "-n", "8", "--seed", "36", "-j", "2")
    for doc in (serial, pooled):
        assert doc.pop("jobs") in (1, 2)
        for s in doc["summary"]:
            s.pop("seconds")
    assert pooled == serial


def _report_threads(_):
    import torch
    from threadpoolctl import threadpool_info

    return torch.get_num_threads(), [i["num_threads"] for i in threadpool_info()
                                     if i["user_api"] == "blas"]


def test_workers_run_one_blas_and_one_torch_thread():
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=sweep._pool_context(),
                             initializer=sweep.pin_one_thread) as pool:
        for torch_threads, blas_threads in pool.map(_report_threads, range(2)):
            assert torch_threads == 1 and blas_threads and set(blas_threads) == {1}


def test_shard_documents_merge_into_the_whole_sweep(capsys, tmp_path):
    whole = _one_thread_json(capsys, "-n", "5", "--seed", "20")
    for name, seed, n in (("b", "22", "3"), ("a", "20", "2")):  # out of order on purpose
        (tmp_path / f"{name}.json").write_text(json.dumps(_one_thread_json(
            capsys, "-n", n, "--seed", seed)))
    files = [str(tmp_path / "b.json"), str(tmp_path / "a.json")]
    assert main(["merge", "--json", *files]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["shards"] == [[20, 21], [22, 24]] and merged["seeds"] == [20, 24]
    for doc in (whole, merged):
        for s in doc["summary"]:
            s.pop("seconds")
    assert merged["summary"] == whole["summary"] and merged["ok"] is True
    assert main(["merge", *files]) == 0
    table = capsys.readouterr().out
    assert "seeds 20..21, 22..24" in table
    assert [line.split()[:4] for line in table.splitlines() if line.startswith("float32")] == [
        ["float32", "5", "5", "0"]]


def test_merge_refuses_overlapping_or_mixed_shards(capsys, tmp_path):
    doc = {"kind": "check", "ok": True, "seeds": [0, 4], "summary": [], "failures": []}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.json").write_text(json.dumps({**doc, "seeds": [4, 8]}))
    (tmp_path / "c.json").write_text(json.dumps({**doc, "kind": "false-alarms",
                                                  "seeds": [9, 9]}))
    assert main(["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert "overlap" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "a.json"), str(tmp_path / "c.json")]) == 2
    assert "different kinds" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no documents"):
        merge_documents([])


def _broken_case(seed, dtype=None):
    rng = np.random.default_rng(seed)
    model = scratch.Sequential(scratch.Linear(2, 3, rng=rng), SigmoidNoDerivative(),
                               scratch.Linear(3, 1, rng=rng))
    return compare.cases.Case(seed, np.dtype("float64"), model, rng.normal(size=(4, 2)),
                              rng.normal(size=(4, 1)), scratch.MSELoss())


def test_a_failure_in_a_worker_reaches_the_table_and_the_exit_status(capsys, monkeypatch):
    monkeypatch.setattr(compare.cases, "random_case", _broken_case)  # workers fork after this
    assert main(["check", "-n", "3", "--dtype", "float64", "-j", "2"]) == 1
    out = capsys.readouterr().out
    assert "=== FAILED case 0" in out and "SigmoidNoDerivative" in out
    assert [line.split()[:4] for line in out.splitlines() if line.startswith("float64")] == [
        ["float64", "3", "0", "3"]]
    assert "2 jobs:" in out


def test_serial_sweep_runs_at_one_thread_and_restores_the_callers_threads():
    import torch
    from threadpoolctl import threadpool_info

    seen = []
    before = torch.get_num_threads()
    with thread_limit(2):
        run_sweep(["float64"], 0, 2, on_shard=lambda part: seen.append(_report_threads(0)))
        assert torch.get_num_threads() == 2
        assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {2}
    assert seen and all(t == 1 and set(b) == {1} for t, b in seen)
    assert torch.get_num_threads() == before


def test_false_alarms_with_jobs_and_json(capsys):
    with thread_limit(2):
        assert main(["false-alarms", "-n", "4", "--dtype", "float64", "--json"]) == 0
        serial = json.loads(capsys.readouterr().out)
        assert main(["false-alarms", "-n", "4", "--dtype", "float64", "--json", "-j", "2"]) == 0
        pooled = json.loads(capsys.readouterr().out)
    assert serial["kind"] == "false-alarms" and len(serial["summary"][0]["ratios"]) == 4
    assert serial["summary"][0]["ratios"] == pooled["summary"][0]["ratios"]
    assert max(serial["summary"][0]["ratios"]) < 1


def test_jobs_must_be_positive(capsys):
    assert main(["check", "-n", "1", "-j", "0"]) == 2
    assert "--jobs must be >= 1" in capsys.readouterr().err
    assert main(["false-alarms", "-n", "1", "-j", "0"]) == 2
