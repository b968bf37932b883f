#!/usr/bin/env python3
"""NDCG@k, precision@k and recall@k of a top-N CSV (user,rank,item,score,...)
against held-out ratings (user,item,rating), as hpcrec train computes them:
a test rating is relevant when rating >= THRESHOLD; users with at least one
relevant test item count; DCG = sum over hits of 1/log2(rank + 1), IDCG over
the first min(k, |T|) ranks.

  bench/ranking_eval.py TOPN.csv TEST.tsv [--k 10] [--threshold 4]
"""
import argparse
import csv
import math
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("topn")
    ap.add_argument("test")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threshold", type=float, default=4.0)
    a = ap.parse_args()
    relevant = {}
    with open(a.test) as f:
        for line in f:
            fields = line.replace(",", "\t").split("\t")
            if len(fields) < 3:
                continue
            try:
                rating = float(fields[2])
            except ValueError:
                continue  # a header
            if rating >= a.threshold:
                relevant.setdefault(fields[0], set()).add(fields[1])
    lists = {}
    with open(a.topn, newline="") as f:
        for row in csv.DictReader(f):
            if int(row["rank"]) <= a.k:
                lists.setdefault(row["user"], []).append(row["item"])
    ndcg = precision = recall = 0.0
    for user, items in relevant.items():
        got = lists.get(user, [])
        dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(got) if i in items)
        idcg = sum(1 / math.log2(r + 2) for r in range(min(a.k, len(items))))
        hits = sum(1 for i in got if i in items)
        ndcg += dcg / idcg
        precision += hits / a.k
        recall += hits / len(items)
    n = len(relevant)
    print(f"users {n} ndcg@{a.k} {ndcg / n:.4f} precision@{a.k} {precision / n:.4f} recall@{a.k} {recall / n:.4f}")


if __name__ == "__main__":
    sys.exit(main())
