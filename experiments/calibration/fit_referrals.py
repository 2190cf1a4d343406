"""Calibrate referral behaviour to the distribution of referrals per pediatric practice.

Target (van Staa & Renner 2019, NZFH): referrals to Frühe Hilfen per pediatric
practice per year: none 11.7 %, fewer than 5: 29.5 %, 5 to 10: 34.4 %, more than 10: 24.4 %;
trimmed mean 8.3.  A grid over the route floor of the referral probability, the practice
size heterogeneity and the engagement concentration is run on the default municipality
(NumPy engine, 48 replicates per point, last simulated year of 10).  The loss is the sum
of squared differences of the four shares plus ((trimmed mean - 8.3) / 10) squared.

Run: python experiments/calibration/fit_referrals.py [--replicates N]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from kooperationssim.vector_engine import VectorEngine

TARGET = np.array([0.117, 0.295, 0.344, 0.244])
TARGET_MEAN = 8.3
BINS = ("ped_referrals_share_0", "ped_referrals_share_1_4", "ped_referrals_share_5_10",
        "ped_referrals_share_over_10")
GRID = {
    "referral_floor_route": (0.6, 0.7),
    "practice_size_shape": (1.5, 2.5, 4.0),
    "engagement_concentration": (1.5, 2.5),
}


def evaluate(over: dict, replicates: int) -> tuple[np.ndarray, float, float]:
    """Mean bin shares, mean trimmed mean and the loss of one parameter point."""
    res = VectorEngine([over] * replicates, list(range(replicates))).run()
    shares = np.array([[s[b] for b in BINS] for s in res.summaries]).mean(axis=0)
    tm = float(np.mean([s["ped_referrals_trimmed_mean"] for s in res.summaries]))
    loss = float(((shares - TARGET) ** 2).sum() + ((tm - TARGET_MEAN) / 10) ** 2)
    return shares, tm, loss


def main() -> None:
    """Fit the referral parameters and print the result."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=48)
    a = ap.parse_args()
    best = None
    for values in itertools.product(*GRID.values()):
        over = dict(zip(GRID, values, strict=True))
        shares, tm, loss = evaluate(over, a.replicates)
        print(over, np.round(shares, 3).tolist(), round(tm, 2), round(loss, 4))
        if best is None or loss < best[0]:
            best = (loss, over, shares, tm)
    loss, over, shares, tm = best
    print("\nbest:", over, "shares", np.round(shares, 3).tolist(), "trimmed mean",
          round(tm, 2), "loss", round(loss, 4))
    print("target:", TARGET.tolist(), TARGET_MEAN)


if __name__ == "__main__":
    main()
