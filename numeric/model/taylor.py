"""Truncated multilinear Taylor arithmetic (hyper-dual numbers).

A value ``x = Σ_S c_S ε^S`` over subsets ``S`` of ``K`` nilpotent infinitesimals (ε_i² = 0, the ε_i commute).
The coefficient of ε_1⋯ε_K of ``f(x_0 + Σ_i ε_i v_i)`` is the exact mixed derivative ∂^K f/∂x_1⋯∂x_K,
so evaluating the model's real-space formula on such numbers yields every vertex as an exact derivative
(CONVENTIONS.md §2): no finite differences, nothing differentiated by hand.

Coefficients are stored as a complex array of shape ``(2**K, *shape)``, indexed by the bit mask of ``S``,
so one value can hold a whole batch (all bonds of a model, all quadrature nodes).
"""

from __future__ import annotations

import math

import numpy as np


class Jet:
    """A multilinear polynomial in ``order`` nilpotent infinitesimals, with array-valued coefficients."""

    __slots__ = ("c",)
    __array_priority__ = 1000  # so that ndarray ⊙ Jet defers to Jet

    def __init__(self, coefficients: np.ndarray):
        self.c = np.asarray(coefficients, dtype=complex)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def constant(cls, value, order: int) -> "Jet":
        value = np.asarray(value, dtype=complex)
        c = np.zeros((2**order,) + value.shape, dtype=complex)
        c[0] = value
        return cls(c)

    @classmethod
    def variable(cls, value, index: int, direction, order: int) -> "Jet":
        """``value + ε_index · direction``."""
        jet = cls.constant(value, order)
        jet.c[1 << index] = np.broadcast_to(np.asarray(direction, dtype=complex), jet.c.shape[1:])
        return jet

    @property
    def order(self) -> int:
        return self.c.shape[0].bit_length() - 1

    @property
    def value(self) -> np.ndarray:
        return self.c[0]

    def coefficient(self, mask: int) -> np.ndarray:
        """Coefficient of ε^S, ``S`` given as a bit mask."""
        return self.c[mask]

    # -- arithmetic ---------------------------------------------------------------------------
    def _lift(self, other) -> "Jet":
        if isinstance(other, Jet):
            return other
        return Jet.constant(other, self.order)

    def __add__(self, other):
        a, b = _aligned(self.c, self._lift(other).c)
        return Jet(a + b)

    __radd__ = __add__

    def __neg__(self):
        return Jet(-self.c)

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __mul__(self, other):
        if not isinstance(other, Jet):
            a, b = _aligned(self.c, np.asarray(other, dtype=complex)[None])
            return Jet(a * b)
        a, b = _aligned(self.c, other.c)
        out = np.zeros((a.shape[0],) + np.broadcast_shapes(a.shape[1:], b.shape[1:]), dtype=complex)
        for s in range(a.shape[0]):
            sub = s
            while True:  # every submask T of S: ε^T · ε^(S∖T) = ε^S
                out[s] += a[sub] * b[s ^ sub]
                if sub == 0:
                    break
                sub = (sub - 1) & s
        return Jet(out)

    __rmul__ = __mul__

    def apply(self, derivatives) -> "Jet":
        """``f(self)`` given ``derivatives(x0, p)`` = f^(p)(x0) for p = 0..order (Taylor series of the nilpotent part)."""
        x0 = self.c[0]
        nil = Jet(self.c.copy())
        nil.c[0] = 0.0
        out = Jet.constant(derivatives(x0, 0), self.order)
        power = Jet.constant(np.ones_like(x0), self.order)
        for p in range(1, self.order + 1):
            power = power * nil
            out = out + power * (derivatives(x0, p) / math.factorial(p))
        return out

    def exp(self) -> "Jet":
        return self.apply(lambda x0, p: np.exp(x0))

    def power(self, s: float) -> "Jet":
        """``self**s`` for real ``s`` (principal branch; used for √ of positive squared lengths)."""
        def derivative(x0, p):
            coeff = math.prod(s - i for i in range(p))
            return coeff * x0 ** (s - p)
        return self.apply(derivative)

    def sqrt(self) -> "Jet":
        return self.power(0.5)


def _aligned(a: np.ndarray, b: np.ndarray):
    """Pad coefficient arrays (leading axis: masks) to equal rank so trailing axes broadcast as in NumPy."""
    n = max(a.ndim, b.ndim)
    a = a.reshape(a.shape[:1] + (1,) * (n - a.ndim) + a.shape[1:])
    b = b.reshape(b.shape[:1] + (1,) * (n - b.ndim) + b.shape[1:])
    return a, b


def dot(a, b):
    """Dot product of two 2-vectors given as sequences of Jets or arrays."""
    return a[0] * b[0] + a[1] * b[1]
