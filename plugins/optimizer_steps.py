"""optimizer_steps: a few steps of a torch.optim optimizer on a quadratic loss.

The loss is L(theta) = sum_i a_i / 2 (theta_i - c_i)^2 in one or two
coordinates; its gradient a_i (theta_i - c_i) is exact, and so is every
step: the updates are written exactly as torch.optim computes them
(PyTorch 2.x, default flags: no amsgrad, no centred RMSprop, maximize=False).
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.decimals import approx
from genexam.distributions import Choice, Computed
from genexam.family import Family, Part, Solution
from genexam.params import Int, OneOf, Rat, Vector
from genexam.path_figure import grid_fraction, path_on_contours, path_on_curve
from genexam.values import to_sympy

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
ADAPTIVE = ("rmsprop", "adam", "adamw")
#: The state each optimizer keeps (the others' answers are null).
STATE = {"sgd": (), "momentum": ("velocity",), "nesterov": ("velocity",), "rmsprop": ("v",),
         "adam": ("m", "v", "m_hat", "v_hat"), "adamw": ("m", "v", "m_hat", "v_hat")}
STATE_IDS = ("velocity", "m", "v", "m_hat", "v_hat")
TORCH_CALL = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "rmsprop": "RMSprop", "adam": "Adam",
              "adamw": "AdamW"}
F = Fraction


def _choice(rng: random.Random, options: tuple[Any, ...]) -> Any:
    return options[rng.randrange(len(options))]


def _dimension(rng: random.Random) -> int:
    return _choice(rng, (1, 2, 2))


def _theta0(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    return [_choice(rng, (-3, -2, -1, 1, 2, 3)) for _ in range(_dimension(rng))]


def _curvature(rng: random.Random, drawn: Mapping[str, Any]) -> list[Any]:
    return [_choice(rng, (1, 2, 3, F(1, 2))) for _ in drawn["theta0"]]


def _centre(rng: random.Random, drawn: Mapping[str, Any]) -> list[int]:
    # away from theta0 in every coordinate: a first gradient of 0 would make
    # Adam and RMSprop divide 0 by 0 with eps = 0
    return [_choice(rng, tuple(v for v in (-1, 0, 1) if v != t)) for t in drawn["theta0"]]


def _lr(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
    if drawn["optimizer"] in ADAPTIVE:
        return _choice(rng, (F(1, 10), F(1, 2), 1))
    # a * lr <= 1 for every curvature: no overshooting past the minimum twice over
    top = max(drawn["a"])
    return _choice(rng, tuple(lr for lr in (F(1, 10), F(1, 4), F(1, 2)) if lr * top <= 1) or (F(1, 10),))


def _weight_decay(rng: random.Random, drawn: Mapping[str, Any]) -> Any:
    if drawn["optimizer"] == "adamw":
        return _choice(rng, (F(1, 10), F(1, 2)))
    return _choice(rng, (0, 0, 0, F(1, 10)))


def _steps(rng: random.Random, drawn: Mapping[str, Any]) -> int:
    # two steps of an adaptive optimizer already need square roots; a third nests them
    return 2 if drawn["optimizer"] in ADAPTIVE else 3


class OptimizerSteps(Family):
    name = "optimizer_steps"
    title = "Steps of SGD, momentum, Nesterov, RMSprop, Adam or AdamW on a quadratic loss (as torch.optim)"
    params = (
        OneOf("optimizer", OPTIMIZERS, Choice(OPTIMIZERS),
              doc="sgd, momentum (SGD with momentum), nesterov (SGD, nesterov=True), rmsprop, adam or adamw"),
        Vector("theta0", Computed(_theta0, "1 or 2 integers from -3 to 3, not 0"), low=-20, high=20,
               element="rational", length=(1, 2), doc="the starting point theta_0"),
        Vector("a", Computed(_curvature, "1, 2, 3 or 1/2 per coordinate"), low=0, high=20, element="rational",
               length=(1, 2), doc="curvatures: L = sum_i a_i / 2 (theta_i - c_i)^2"),
        Vector("c", Computed(_centre, "-1, 0 or 1 per coordinate, unlike theta0's"), low=-20, high=20,
               element="rational", length=(1, 2), doc="the minimiser c of the loss"),
        Rat("lr", Computed(_lr, "1/10, 1/4 or 1/2 with lr * a <= 1 (SGD family); 1/10, 1/2 or 1 (adaptive)"),
            low=0, high=10, doc="learning rate"),
        Rat("momentum", Choice((F(1, 2), F(9, 10))), low=0, high=1, doc="momentum (momentum, nesterov)"),
        Rat("dampening", 0, low=0, high=1, doc="dampening (momentum; nesterov needs 0)"),
        Vector("betas", Choice(([F(9, 10), F(999, 1000)], [F(1, 2), F(3, 4)], [F(9, 10), F(99, 100)])),
               low=0, high=1, element="rational", length=(2, 2), doc="(beta1, beta2) of adam and adamw"),
        Rat("alpha", Choice((F(3, 4), F(99, 100))), low=0, high=1,
            doc="smoothing constant of rmsprop (the defaults make 1 - alpha a square: exact first steps)"),
        Rat("eps", 0, low=0, high=1, doc="eps of rmsprop, adam, adamw, added to the root: sqrt(v_hat) + eps"),
        Rat("weight_decay", Computed(_weight_decay, "1/10 or 1/2 for adamw; 0, sometimes 1/10, for the others"),
            low=0, high=10, doc="L2 penalty added to the gradient; decoupled (theta *= 1 - lr * wd) in adamw"),
        Int("steps", Computed(_steps, "3, or 2 for rmsprop, adam, adamw"), low=1, high=6, doc="steps to take"),
    )
    constraints = (
        "len(a) == len(theta0) and len(c) == len(theta0)",
        "min(a) > 0",
        "lr > 0",
        "momentum < 1 and betas[0] < 1 and betas[1] < 1 and alpha < 1",
        "optimizer != 'nesterov' or (momentum > 0 and dampening == 0)",
        # exact roots nest one level deeper per step: 4 steps of Adam print thousands of characters
        "optimizer not in ('rmsprop', 'adam', 'adamw') or steps <= 3",
    )
    parts = (
        Part("a", ("params", "velocity", "m", "v", "m_hat", "v_hat"), space="8cm"),
        Part("b", ("final_params", "final_loss"), space="3cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        opt = p["optimizer"]
        theta0, a, c = (to_sympy(p[k]) for k in ("theta0", "a", "c"))
        dims = range(len(theta0))
        run = _run(p)
        states = {k: (run[k] if k in STATE[opt] else None) for k in STATE_IDS}
        final = run["params"][-1]
        loss = _loss(a, c)
        answers = {"params": run["params"], **states, "final_params": final, "final_loss": tidy(loss(final))}
        # Per coordinate: the optimizers here act elementwise and the loss's
        # Hessian is diagonal, so each coordinate has its own table.
        tables = []
        for i in dims:
            rows = []
            for t in range(p["steps"]):
                row = {"t": t + 1, "theta_prev": ([theta0] + run["params"])[t][i], "grad": run["grads"][t][i],
                       "theta": run["params"][t][i]}
                row.update({k: run[k][t][i] for k in STATE[opt]})
                # a decimal beside each irrational entry (none beside the exact ones)
                row["approx"] = {k: (None if v.is_Rational else approx(v, 4)) for k, v in row.items()
                                 if k != "t"}
                rows.append(row)
            tables.append(rows)
        path = [theta0] + run["params"]
        irrational = any(not v.is_Rational for step in path for v in step)
        steps = {
            "dims": len(theta0), "tables": tables, "state": STATE[opt], "torch": TORCH_CALL[opt],
            "irrational": irrational,
            "irrational_steps": [any(not v.is_Rational for v in step) for step in run["params"]],
            "params_approx": [[_approx(v) for v in step] for step in run["params"]],
            "final_params_approx": [_approx(v) for v in final],
            "loss0": loss(theta0), "final_loss_approx": approx(loss(final), 4),
            "loss_expr": _loss_tex(a, c), "grad_expr": _grad_tex(a, c),
            "bias1": [1 - to_sympy(p["betas"][0]) ** t for t in range(1, p["steps"] + 1)],
            "bias2": [1 - to_sympy(p["betas"][1]) ** t for t in range(1, p["steps"] + 1)],
            "decay": 1 - to_sympy(p["lr"]) * to_sympy(p["weight_decay"]),
        }
        drawn = [tuple(grid_fraction(v) for v in step) for step in path]
        a_f, c_f = [F(str(v)) for v in a], [F(str(v)) for v in c]
        if len(theta0) == 2:
            figure = path_on_contours(drawn, a_f, c_f)
        else:
            figure = path_on_curve([point[0] for point in drawn], a_f[0], c_f[0])
        return Solution(answers, steps, figures={"path": figure})

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: the state as explicit weighted sums over the whole
        # gradient history (m_t = (1 - beta1) sum_k beta1^(t-k) g_k, ...),
        # never updated in place, one coordinate at a time in stdlib
        # Fractions until a square root is needed.
        opt = p["optimizer"]
        lr, wd, eps = (to_sympy(p[k]) for k in ("lr", "weight_decay", "eps"))
        mu, damp, alpha = (to_sympy(p[k]) for k in ("momentum", "dampening", "alpha"))
        b1, b2 = to_sympy(p["betas"])
        a, c = to_sympy(p["a"]), to_sympy(p["c"])
        T = p["steps"]
        per_coord = []
        for i, start in enumerate(to_sympy(p["theta0"])):
            thetas, grads, hist = [start], [], {k: [] for k in STATE_IDS}
            for t in range(1, T + 1):
                theta = thetas[-1]
                g_loss = a[i] * (theta - c[i])
                g = g_loss if opt == "adamw" else g_loss + wd * theta
                grads.append(g)
                if opt == "sgd":
                    new = theta - lr * g
                elif opt in ("momentum", "nesterov"):
                    # b_1 = g_1; b_t = mu b_{t-1} + (1 - damp) g_t, unrolled
                    buf = mu ** (t - 1) * grads[0] + sum(((1 - damp) * mu ** (t - k) * grads[k - 1]
                                                          for k in range(2, t + 1)), sympy.Integer(0))
                    hist["velocity"].append(buf)
                    new = theta - lr * (g + mu * buf if opt == "nesterov" else buf)
                elif opt == "rmsprop":
                    sq = (1 - alpha) * sum((alpha ** (t - k) * grads[k - 1] ** 2 for k in range(1, t + 1)),
                                           sympy.Integer(0))
                    hist["v"].append(sq)
                    new = theta - lr * g / (sympy.sqrt(sq) + eps)
                else:
                    m = (1 - b1) * sum((b1 ** (t - k) * grads[k - 1] for k in range(1, t + 1)), sympy.Integer(0))
                    v = (1 - b2) * sum((b2 ** (t - k) * grads[k - 1] ** 2 for k in range(1, t + 1)),
                                       sympy.Integer(0))
                    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
                    for key, value in (("m", m), ("v", v), ("m_hat", m_hat), ("v_hat", v_hat)):
                        hist[key].append(value)
                    shrunk = theta * (1 - lr * wd) if opt == "adamw" else theta
                    new = shrunk - lr * m_hat / (sympy.sqrt(v_hat) + eps)
                thetas.append(tidy(new))
            per_coord.append((thetas[1:], {k: [tidy(v) for v in h] for k, h in hist.items()}))
        by_step = lambda series: [[series[i][t] for i in range(len(series))] for t in range(T)]  # noqa: E731
        params = by_step([th for th, _ in per_coord])
        out: dict[str, Any] = {"params": params, "final_params": params[-1]}
        for key in STATE_IDS:
            out[key] = by_step([h[key] for _, h in per_coord]) if key in STATE[opt] else None
        out["final_loss"] = tidy(sum((a[i] * (params[-1][i] - c[i]) ** 2 / 2 for i in range(len(a))), sympy.Integer(0)))
        return out


def _run(p: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """The optimizer's loop, as torch.optim writes it, on all coordinates at once."""
    opt = p["optimizer"]
    theta = sympy.Matrix(to_sympy(p["theta0"]))
    a, c = sympy.Matrix(to_sympy(p["a"])), sympy.Matrix(to_sympy(p["c"]))
    lr, wd, eps = (to_sympy(p[k]) for k in ("lr", "weight_decay", "eps"))
    mu, damp, alpha = (to_sympy(p[k]) for k in ("momentum", "dampening", "alpha"))
    b1, b2 = to_sympy(p["betas"])
    n = theta.rows
    buf = None
    exp_avg, exp_avg_sq = sympy.zeros(n, 1), sympy.zeros(n, 1)
    out: dict[str, list[list[Any]]] = {k: [] for k in ("params", "grads", *STATE_IDS)}
    elementwise = sympy.matrix_multiply_elementwise
    for t in range(1, p["steps"] + 1):
        grad = elementwise(a, theta - c)
        if opt != "adamw" and wd != 0:
            grad = grad + wd * theta  # coupled L2 penalty (torch: grad.add(param, alpha=weight_decay))
        out["grads"].append(list(grad))
        if opt == "sgd":
            theta = theta - lr * grad
        elif opt in ("momentum", "nesterov"):
            buf = grad if buf is None else mu * buf + (1 - damp) * grad  # the buffer starts as the first gradient
            out["velocity"].append(list(buf))
            theta = theta - lr * (grad + mu * buf if opt == "nesterov" else buf)
        elif opt == "rmsprop":
            exp_avg_sq = alpha * exp_avg_sq + (1 - alpha) * elementwise(grad, grad)
            out["v"].append(list(exp_avg_sq))
            denom = exp_avg_sq.applyfunc(sympy.sqrt) + eps * sympy.ones(n, 1)
            _nonzero(denom, opt, t)
            theta = theta - lr * grad.multiply_elementwise(denom.applyfunc(lambda d: 1 / d))
        else:
            if opt == "adamw":
                theta = theta * (1 - lr * wd)  # decoupled weight decay, before the Adam step
            exp_avg = b1 * exp_avg + (1 - b1) * grad
            exp_avg_sq = b2 * exp_avg_sq + (1 - b2) * elementwise(grad, grad)
            m_hat, v_hat = exp_avg / (1 - b1**t), exp_avg_sq / (1 - b2**t)
            for key, value in (("m", exp_avg), ("v", exp_avg_sq), ("m_hat", m_hat), ("v_hat", v_hat)):
                out[key].append(list(value))
            denom = v_hat.applyfunc(sympy.sqrt) + eps * sympy.ones(n, 1)
            _nonzero(denom, opt, t)
            theta = theta - lr * m_hat.multiply_elementwise(denom.applyfunc(lambda d: 1 / d))
        theta = theta.applyfunc(tidy)
        out["params"].append(list(theta))
    return {k: [[tidy(v) for v in step] for step in series] for k, series in out.items()}


def tidy(value: Any) -> Any:
    """An exact value in one canonical form: expanded, with rationalised
    denominators (a + b sqrt(c), not 1/(d - sqrt(c))), so both routes print
    and compare alike."""
    return sympy.radsimp(sympy.expand(value))


def _approx(value: Any) -> Any:
    """A decimal for an irrational value; a rational one stays exact."""
    return value if value.is_Rational else approx(value, 4)


def _nonzero(denom: sympy.Matrix, opt: str, t: int) -> None:
    for i, d in enumerate(denom):
        if d == 0:
            raise ValueError(f"{opt} divides 0 by 0 at step {t} in coordinate {i + 1} (its gradients so far "
                             "are all 0 and eps = 0); set eps > 0, or a theta0 whose gradient is not 0")


def _loss(a: list[Any], c: list[Any]):
    return lambda theta: sum((ai * (ti - ci) ** 2 / 2 for ai, ti, ci in zip(a, theta, c)), sympy.Integer(0))


def _loss_tex(a: list[Any], c: list[Any]) -> str:
    """L(theta) as the key writes it, e.g. '\\frac{3}{2} (\\theta_1 - 1)^2 + \\theta_2^2'."""
    from genexam.texfilters import tex

    names = [r"\theta"] if len(a) == 1 else [r"\theta_1", r"\theta_2"]
    terms = []
    for ai, ci, name in zip(a, c, names):
        half = ai / 2
        coef = "" if half == 1 else tex(half) + " "
        base = name if ci == 0 else rf"\left({name} {'-' if ci > 0 else '+'} {tex(abs(ci))}\right)"
        terms.append(f"{coef}{base}^2")
    return " + ".join(terms)


def _grad_tex(a: list[Any], c: list[Any]) -> list[str]:
    """Each partial derivative a_i (theta_i - c_i) as TeX."""
    from genexam.texfilters import tex

    names = [r"\theta"] if len(a) == 1 else [r"\theta_1", r"\theta_2"]
    out = []
    for ai, ci, name in zip(a, c, names):
        coef = "" if ai == 1 else tex(ai) + " "
        if ai == 1:
            out.append(name if ci == 0 else f"{name} {'-' if ci > 0 else '+'} {tex(abs(ci))}")
            continue
        base = name if ci == 0 else rf"\left({name} {'-' if ci > 0 else '+'} {tex(abs(ci))}\right)"
        out.append(f"{coef}{base}")
    return out


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [OptimizerSteps]
