"""gda_table: gradient descent-ascent on min_p max_q f(p, q) = a*p*q."""

from __future__ import annotations

from typing import Any, Mapping

import sympy

from genexam import hookimpl
from genexam.distributions import RandInt
from genexam.family import Family, Part, Solution
from genexam.params import Int, OneOf, Rat
from genexam.values import to_sympy

P, Q = sympy.symbols("p q", real=True)
# The symbols of the update rule as the key writes it.
P_T, Q_T, Q_NEXT = sympy.symbols("p_t q_t q_{t+1}", real=True)


def update_matrix(a: sympy.Rational, eta: sympy.Rational, mode: str) -> sympy.Matrix:
    """M with (p_{t+1}, q_{t+1}) = M (p_t, q_t)."""
    c = eta * a
    if mode == "simultaneous":
        return sympy.Matrix([[1, -c], [c, 1]])
    # q moves first: q' = q + c p; then p' = p - c q' = (1 - c^2) p - c q.
    return sympy.Matrix([[1 - c**2, -c], [c, 1]])


class GdaTable(Family):
    name = "gda_table"
    title = "Gradient descent-ascent on min_p max_q a p q"
    params = (
        Rat("a", 1, low=-10, high=10, doc="f(p, q) = a p q"),
        Rat("eta", 1, low=0, high=4, doc="step size"),
        Rat("p0", RandInt(-2, 2), low=-20, high=20, doc="initial p"),
        Rat("q0", RandInt(-2, 2), low=-20, high=20, doc="initial q"),
        Int("steps", 6, low=1, high=12, doc="number of steps to tabulate"),
        OneOf("mode", ("simultaneous", "alternating"), "alternating",
              doc="simultaneous updates, or alternating with the maximiser q moving first"),
    )
    constraints = ("a != 0", "eta > 0", "p0 != 0 or q0 != 0")
    parts = (
        Part("a", ("p", "q"), space="6cm"),
        Part("b", ("converges", "spectral_radius"), space="5cm"),
        Part("c", ("equilibrium",), space="3cm"),
    )

    def solve(self, p: Mapping[str, Any]) -> Solution:
        a, eta, mode = to_sympy(p["a"]), to_sympy(p["eta"]), p["mode"]
        f = a * P * Q
        grad_p, grad_q = sympy.diff(f, P), sympy.diff(f, Q)
        # The update rules, written once in the symbols of the key; with
        # alternating updates p sees the new q.
        rule_q = Q_T + eta * grad_q.subs({P: P_T, Q: Q_T})
        rule_p = P_T - eta * grad_p.subs({P: P_T, Q: Q_T if mode == "simultaneous" else Q_NEXT})
        ps, qs = [to_sympy(p["p0"])], [to_sympy(p["q0"])]
        for _ in range(p["steps"]):
            q_next = rule_q.subs({P_T: ps[-1], Q_T: qs[-1]})
            ps.append(rule_p.subs({P_T: ps[-1], Q_T: qs[-1], Q_NEXT: q_next}))
            qs.append(q_next)
        m = update_matrix(a, eta, mode)
        multiplicity = m.eigenvals()
        eigenvalues = sorted(multiplicity, key=sympy.default_sort_key)
        radius = max((sympy.Abs(lam) for lam in eigenvalues), key=float)  # Abs is exact for algebraic numbers
        # (p_t, q_t) = M^t (p_0, q_0). A start that M only rescales -- an
        # eigenvector, possible when the eigenvalues are real -- stays on its
        # line: x_t = lambda^t x_0, which converges when |lambda| < 1 even
        # though rho(M) > 1.
        start = sympy.Matrix([ps[0], qs[0]])
        image = m * start
        start_eigenvalue = None
        if any(start) and start[0] * image[1] - start[1] * image[0] == 0:
            start_eigenvalue = image.dot(start) / start.dot(start)
        stationary = sympy.solve([grad_p, grad_q], [P, Q], dict=True)
        c = eta * a
        period = None
        if mode == "alternating" and c**2 < 4:
            # A rotation by theta with cos(theta) = tr(M)/2 = 1 - c^2/2 (det M = 1).
            ratio = sympy.acos(1 - c**2 / 2) / sympy.pi  # rational only where sympy evaluates acos exactly
            if ratio.is_Rational:
                period = int(sympy.denom(ratio / 2))
        answers = {
            "p": ps, "q": qs,
            "converges": bool(radius < 1) or not any(start) or (
                start_eigenvalue is not None and bool(abs(start_eigenvalue) < 1)),
            "spectral_radius": radius,
            "equilibrium": [stationary[0][P], stationary[0][Q]],
        }
        work = {"f": f, "grad_p": grad_p, "grad_q": grad_q, "rule_p": rule_p, "rule_q": rule_q,
                "matrix": m, "eigenvalues": eigenvalues, "double": any(k > 1 for k in multiplicity.values()),
                "start_eigenvalue": start_eigenvalue, "c": c, "c2": c**2, "period": period,
                "hessian": sympy.hessian(f, (P, Q))}
        return Solution(answers, work)

    def check(self, p: Mapping[str, Any]) -> dict[str, Any]:
        # Second route: powers of the update matrix for the table; for the
        # analysis, the roots of the characteristic polynomial and the start
        # written in the eigenvector basis.
        a, eta = to_sympy(p["a"]), to_sympy(p["eta"])
        m = update_matrix(a, eta, p["mode"])
        start = sympy.Matrix([to_sympy(p["p0"]), to_sympy(p["q0"])])
        states = [m**t * start for t in range(p["steps"] + 1)]
        lam = sympy.Symbol("lambda")
        roots = sympy.roots(m.charpoly(lam).as_expr(), lam)  # {root: multiplicity}
        radius = max((sympy.Abs(r) for r in roots), key=float)
        if not any(start):
            converges = True
        elif any(not r.is_real for r in roots) or len(roots) == 1:
            # complex pair of equal modulus, or a double root: no shrinking direction unless all shrink
            converges = bool(radius < 1)
        else:
            (r1, r2) = roots
            basis = [(m - r * sympy.eye(2)).nullspace()[0] for r in (r1, r2)]
            coefficients = sympy.Matrix.hstack(*basis).solve(start)
            converges = all(coefficient == 0 or abs(r) < 1 for coefficient, r in zip(coefficients, (r1, r2)))
        return {
            "p": [s[0] for s in states],
            "q": [s[1] for s in states],
            "spectral_radius": radius,
            "converges": converges,
            "equilibrium": [0, 0],
        }


@hookimpl
def genexam_families() -> list[type[Family]]:
    return [GdaTable]
