"""The suite end to end at smoke size: JSON and PNG written, CLI wired (no timings asserted)."""

import json

import pytest

from benchmarks import output, suite
from benchmarks.timing import Result, skipped
from twinnet import cli
from twinnet.commands import bench

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAST = ("lecture_net,lecture_sequential,mid_mlp_float64,large_mlp_float32,digits_cnn,"
        "random_cases,check_jobs")


def check_outputs(out, names):
    data = json.loads((out / output.JSON_NAME).read_text())
    assert data["schema"] == "twinnet-bench/1"
    assert [r["name"] for r in data["results"]] == names
    env = data["environment"]
    assert any(lib["user_api"] == "blas" for lib in env["blas"])
    assert env["torch"]["num_threads"] >= 1
    assert len(env["git"]["commit"]) == 40 and env["git"]["dirty"] in (True, False)
    for r in data["results"]:
        assert r["status"] in ("ok", "skipped")
        if r["status"] == "ok":
            assert r["metric"] in r["metrics"]
            assert all(t["median_s"] > 0 for t in r["timings"].values())
            assert r["met"] in (True, False, None)
        else:
            assert r["reason"] and r["met"] is None
        assert r["memory"]["process_max_rss_bytes_so_far"] > 10 * 2**20  # torch alone is more
    png = (out / output.PNG_NAME).read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    return data


def test_smoke_suite_writes_json_and_png(tmp_path):
    lines = []
    chosen = suite.selected(FAST)
    results = suite.run_suite(chosen, suite.SMOKE_SETTINGS, tmp_path, smoke=True,
                              log=lines.append, threads=1)
    data = check_outputs(tmp_path, [b.name for b in chosen])
    by_name = {r["name"]: r for r in data["results"]}
    assert by_name["lecture_net"]["config"]["twins_verified"] is True
    assert set(by_name["large_mlp_float32"]["timings"]) == {"scratch", "torch", "gemm"}
    sequential = by_name["lecture_sequential"]
    assert set(sequential["timings"]) == {"scratch", "torch", "scratch (bias)", "torch (bias)"}
    assert sequential["config"]["twins_verified"] is True
    assert by_name["check_jobs"]["config"]["jobs"] == 2
    assert any("kernel (core type)" in line for line in lines)
    assert len(results) == len(chosen)


def test_cli_bench_runs_the_suite(tmp_path, capsys):
    assert cli.main(["bench", "--smoke", "--only", "lecture_net", "--out", str(tmp_path)]) == 0
    check_outputs(tmp_path, ["lecture_net"])
    assert "| Lecture net" in capsys.readouterr().out


def test_unknown_benchmark_is_refused():
    with pytest.raises(SystemExit, match="unknown benchmark"):
        suite.selected("lecture_net,nope")


def test_rerun_drops_the_openblas_overrides_and_keeps_the_options(tmp_path):
    env = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1", "PATH": "/bin"}
    clean = bench.clean_environment(env)
    assert "OPENBLAS_CORETYPE" not in clean and "OPENBLAS_L2_SIZE" not in clean
    assert clean["PATH"] == "/bin" and clean["PYTHONPATH"] == str(bench.CHECKOUT)
    args = cli.build_parser().parse_args(
        ["bench", "--only", "iris_loop", "--threads", "1", "--out", str(tmp_path)])
    command = bench.rerun_command(suite, args)
    assert command[1:3] == ["-m", "benchmarks"]
    assert suite.main.__module__ == "benchmarks.suite"
    reparsed = cli.build_parser().parse_args(["bench", *command[3:]])
    assert vars(reparsed) == vars(args)


def test_markdown_table_rows():
    ok = Result("x", "X net", timings={"scratch": {"median_s": 2e-5}, "torch": {"median_s": 1e-4}},
                metrics={"scratch/torch": 0.2}, metric="scratch/torch",
                target="scratch <= 0.25x torch", target_value=0.25)
    rows = output.table_rows([ok, skipped("y", "Y", "no conv")])
    assert rows[0] == ["X net", "20 us (scratch)", "100 us (torch)", "0.200 scratch/torch",
                       "scratch <= 0.25x torch", "yes"]
    assert rows[1][-1] == "skipped: no conv"
    assert output.markdown_table([ok]).count("\n") == 2


@pytest.mark.parametrize(("seconds", "text"), [
    (2.5, "2.5 s"), (0.0123, "12.3 ms"), (4.56e-5, "45.6 us"), (3e-8, "30 ns"), (None, "-")])
def test_format_seconds(seconds, text):
    assert output.format_seconds(seconds) == text


def test_bench_from_an_installed_wheel_says_how_to_get_the_suite(tmp_path, monkeypatch, capsys):
    # An installed wheel has no benchmarks/ beside its packages: pretend so.
    monkeypatch.setattr(bench, "CHECKOUT", tmp_path)
    monkeypatch.setattr(bench, "_import_suite", lambda: None)
    args = cli.build_parser().parse_args(["bench"])
    assert bench.run(args) == 2
    err = capsys.readouterr().err
    assert "bash benchmarks/run.sh" in err and str(tmp_path) in err
