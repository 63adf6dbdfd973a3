"""Reference peer of the report classifier: jieba + TF-IDF (word 1–2 grams) + LinearSVC
(scikit-learn defaults), trained and tested on the fold files written by
`classify split` (crates/bench/src/bin/classify.rs). Prints one JSON line per fold.

    python scripts/classify_reference.py target/classify-cv/fold0 [fold1 …]
"""
import csv
import json
import sys
import time

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

jieba.setLogLevel(60)


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            parts = [row.get(c, "").strip() for c in ("留言主题", "留言详情")]
            text = "\n".join(p for p in parts if p)
            if text and row["一级标签"].strip():
                texts.append(text)
                labels.append(row["一级标签"].strip())
    return texts, labels


def cut(text):
    return [w for w in jieba.lcut(text) if w.strip()]


def run(fold):
    train_x, train_y = read(f"{fold}/train.csv")
    test_x, test_y = read(f"{fold}/test.csv")
    t = time.perf_counter()
    vec = TfidfVectorizer(tokenizer=cut, token_pattern=None, lowercase=False, ngram_range=(1, 2))
    model = LinearSVC().fit(vec.fit_transform(train_x), train_y)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    pred = model.predict(vec.transform(test_x))
    ms = (time.perf_counter() - t) * 1000 / len(test_x)
    return {
        "fold": fold,
        "n": len(test_x),
        "accuracy": accuracy_score(test_y, pred),
        "macro_f1": f1_score(test_y, pred, average="macro"),
        "ms_per_message": ms,
        "train_s": train_s,
    }


if __name__ == "__main__":
    jieba.initialize()
    for fold in sys.argv[1:]:
        print(json.dumps(run(fold), ensure_ascii=False), flush=True)
