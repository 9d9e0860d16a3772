"""PyTorch autograd functions: gradcheck (finite differences) and agreement with NumPy."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from kerker.lattice import lattice_sum_torch, objective, objective_torch  # noqa: E402

TAUS = [0.2 + 1.3j, 2.9 + 0.35j, -0.61 + 0.8j]


@pytest.mark.parametrize(
    "n, l, area", [(4, 0, None), (4, -2, None), (4, 2, 1.5), (2, -2, None), (2, 0, 2.0), (4, -6, None), (6, -6, 0.7)]
)
def test_gradcheck(n, l, area):
    tau = torch.tensor(TAUS, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda z: lattice_sum_torch(n, l, z, area=area), (tau,), eps=1e-7, atol=1e-6, rtol=1e-6
    )


def test_objective_gradcheck_and_leaf_gradient():
    tau = torch.tensor(TAUS, dtype=torch.complex128, requires_grad=True)
    assert torch.autograd.gradcheck(objective_torch, (tau,), eps=1e-7, atol=1e-6, rtol=1e-6)
    objective_torch(tau).sum().backward()
    g = objective(np.array(TAUS)).grad
    np.testing.assert_allclose(tau.grad.real.numpy(), g[:, 0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(tau.grad.imag.numpy(), g[:, 1], rtol=1e-14, atol=1e-15)


def test_composes_with_real_parameters():
    x = torch.tensor(0.21, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(1.17, dtype=torch.float64, requires_grad=True)
    loss = lattice_sum_torch(4, -2, torch.complex(x, y)).abs() ** 2
    loss.backward()
    h = 1e-6
    from kerker.lattice import lattice_sum

    fx = (
        abs(lattice_sum(4, -2, 0.21 + h + 1.17j).value) ** 2 - abs(lattice_sum(4, -2, 0.21 - h + 1.17j).value) ** 2
    ) / (2 * h)
    assert abs(x.grad.item() - fx) < 1e-8


def test_real_tensor_is_refused():
    with pytest.raises(TypeError, match="tau: must be a complex tensor"):
        lattice_sum_torch(4, 0, torch.tensor([1.0]))
