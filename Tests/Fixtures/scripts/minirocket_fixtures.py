# MiniRocket and RidgeClassifierCV fixtures (Tests/Fixtures/minirocket/*.json): numbers only.
# Run in Tests/Fixtures/minirocket with aeon 1.6.0 (scikit-learn 1.9): python3 ../scripts/minirocket_fixtures.py
#   dilations.json  aeon's _fit_dilations for several lengths, feature counts and dilation limits, and _quantiles
#   transform_*.json  a fitted MiniRocket's parameters (dilations, features per dilation, channel combinations,
#                     biases), the training series, the series each bias was drawn from with the biases the
#                     reference fit gives from them, and the features of other series
#   ridge_*.json    StandardScaler(with_mean=False) + RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)) on small
#                   feature matrices: the alpha chosen, the mean squared leave-one-out error of every alpha,
#                   the coefficients, intercepts and decision values
import json
import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.preprocessing import StandardScaler
from aeon.transformations.collection.convolution_based import MiniRocket
from aeon.transformations.collection.convolution_based import _minirocket as mr

def floats(a): return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]
def ints(a): return [int(v) for v in np.asarray(a).reshape(-1)]

cases = []
for length in [9, 10, 24, 29, 40, 100, 150, 361, 1000, 5000]:
    for features, maxd in [(10000, 32), (336, 4), (500, 6), (84, 32)]:
        d, f = mr._fit_dilations(length, features, maxd)
        cases.append({"length": length, "features": features, "max_dilations": maxd,
                      "dilations": ints(d), "features_per_dilation": ints(f)})
json.dump({"cases": cases, "quantiles": floats(mr._quantiles(100))}, open("dilations.json", "w"))

def transform_case(name, train, test, features, maxd, seed):
    t = MiniRocket(n_kernels=features, max_dilations_per_kernel=maxd, random_state=seed).fit(train)
    channels_per, channel_indices, dilations, per_dilation, biases = t.parameters
    # The reference bias fit run in Python (numpy's generator): which series each bias came from.
    drawn = []
    original = np.random.randint
    def recording(n, *a, **k):
        v = original(n, *a, **k); drawn.append(int(v)); return v
    np.random.randint = recording
    quantiles = mr._quantiles(84 * int(np.sum(per_dilation)))
    ref_biases = mr._fit_biases.py_func(train.astype(np.float32), channels_per, channel_indices, dilations,
                                        per_dilation, quantiles, MiniRocket._indices, seed)
    np.random.randint = original
    json.dump({
        "channels": int(train.shape[1]), "train_shape": list(train.shape), "train": floats(train),
        "test_shape": list(test.shape), "test": floats(test),
        "dilations": ints(dilations), "features_per_dilation": ints(per_dilation),
        "channels_per_combination": ints(channels_per), "channel_indices": ints(channel_indices),
        "biases": floats(biases), "examples": drawn, "reference_biases": floats(ref_biases),
        "features": floats(t.transform(test)),
    }, open(name, "w"))

rng = np.random.default_rng(7)
def series(n, c, t):
    x = np.cumsum(rng.standard_normal((n, c, t)), axis=2) + rng.standard_normal((n, c, t))
    return x.astype(np.float32)
transform_case("transform_univariate.json", series(6, 1, 40), series(4, 1, 40), 336, 4, 0)
transform_case("transform_multivariate.json", series(5, 3, 30), series(3, 3, 30), 336, 4, 1)

def ridge_case(name, X, y, Xtest):
    scaler = StandardScaler(with_mean=False).fit(X)
    ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10), store_cv_results=True).fit(scaler.transform(X), y)
    cv = ridge.cv_results_.reshape(X.shape[0], -1, 10)
    json.dump({
        "rows": X.shape[0], "columns": X.shape[1], "x": floats(X), "targets": ints(y), "classes": len(ridge.classes_),
        "test_rows": Xtest.shape[0], "test": floats(Xtest), "scale": floats(scaler.scale_),
        "alpha": float(ridge.alpha_), "errors": floats(cv.mean(axis=(0, 1))),
        "coef": floats(ridge.coef_), "intercept": floats(ridge.intercept_),
        "decision": floats(ridge.decision_function(scaler.transform(Xtest))),
    }, open(name, "w"))

# Gram form (fewer series than features): three classes, a few informative features among noise.
X = rng.standard_normal((15, 40)).astype(np.float32); y = np.arange(15) % 3
X[:, :3] += 2.0 * np.eye(3)[y].astype(np.float32); X[:, 5] = 1.5
ridge_case("ridge_gram.json", X, y, rng.standard_normal((4, 40)).astype(np.float32))
# Covariance form (more series than features): two classes.
X = rng.standard_normal((40, 6)).astype(np.float32); y = (X[:, 0] + 0.7 * rng.standard_normal(40) > 0).astype(int)
ridge_case("ridge_covariance.json", X, y, rng.standard_normal((5, 6)).astype(np.float32))
