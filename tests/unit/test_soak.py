"""Soak verdict: RSS growth from windowed medians, robust to one large video in flight."""

from load_tests.soak import rss_growth


def _rows(values_by_process: dict[str, list[float]], step_s: float = 10.0) -> list[dict]:
    count = len(next(iter(values_by_process.values())))
    return [
        {"t_s": i * step_s, **{f"rss:{name}": v[i] for name, v in values_by_process.items()}}
        for i in range(count)
    ]


def test_a_spike_in_the_last_sample_is_not_growth():
    flat = [100.0] * 60
    spiky = [100.0] * 59 + [160.0]
    growth = rss_growth(_rows({"decode": spiky, "network": flat}), warmup_s=100, window_s=120)
    assert abs(growth["decode"]) < 1.0
    assert growth["network"] == 0.0
    assert abs(growth["total"]) < 1.0


def test_steady_growth_is_reported_per_process_and_in_total():
    growing = [100.0 + i for i in range(60)]  # +1 per 10 s sample
    flat = [300.0] * 60
    growth = rss_growth(_rows({"server": growing, "network": flat}), warmup_s=100, window_s=100)
    # medians: samples 10..19 (t 100..190) -> 114.5; samples 50..59 (t 500..590) -> 154.5
    assert growth["server"] == 100.0 * (154.5 - 114.5) / 114.5
    assert growth["network"] == 0.0
    assert growth["total"] == 100.0 * (454.5 - 414.5) / 414.5


def test_too_short_a_run_gives_no_verdict():
    assert rss_growth(_rows({"server": [100.0, 101.0]}), warmup_s=100) == {}
