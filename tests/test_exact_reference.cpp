// Tests of the exact reference computations themselves. The engine's validation tests trust these
// numbers, so each function is checked against something derived independently: closed forms
// worked out by hand, symmetries, brute-force master equations, or a different numerical method.
#include "exact_reference.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace {

namespace ref = ionrail::test;

constexpr double pi = 3.14159265358979323846264338327950288;

double sum_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

std::vector<double> reversed(std::vector<double> v) {
    std::reverse(v.begin(), v.end());
    return v;
}

std::vector<double> negated(std::vector<double> v) {
    for (double& x : v) {
        x = -x;
    }
    return v;
}

// Irregular but deterministic site energies, so symmetry tests are not accidentally symmetric.
std::vector<double> rough_energies(int sites) {
    std::vector<double> e(static_cast<std::size_t>(sites));
    for (int i = 0; i < sites; ++i) {
        e[i] = 0.9 * std::sin(1.7 * i + 0.3) - 0.4 * std::cos(0.61 * i * i);
    }
    return e;
}

// Classical fixed-step RK4; kept in the tests so the spectral solution has an independent check.
template <class Rhs>
std::vector<double> integrate_rk4(const Rhs& rhs, std::vector<double> y, double t_end, int steps) {
    const double h = t_end / steps;
    const std::size_t n = y.size();
    std::vector<double> k1(n), k2(n), k3(n), k4(n), tmp(n);
    for (int s = 0; s < steps; ++s) {
        rhs(y, k1);
        for (std::size_t i = 0; i < n; ++i) tmp[i] = y[i] + 0.5 * h * k1[i];
        rhs(tmp, k2);
        for (std::size_t i = 0; i < n; ++i) tmp[i] = y[i] + 0.5 * h * k2[i];
        rhs(tmp, k3);
        for (std::size_t i = 0; i < n; ++i) tmp[i] = y[i] + h * k3[i];
        rhs(tmp, k4);
        for (std::size_t i = 0; i < n; ++i) {
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    return y;
}

// Full SSEP master equation (Gamma = 1) on all 2^L configurations of a walled rail, also carrying
// the first two moments of the net current Q through bond `bond`. State layout: for each
// configuration c, entries [3c, 3c+1, 3c+2] = (P(c), E[Q; c], E[Q^2; c]). Used to check claims
// that rest on SSEP duality against the raw stochastic dynamics.
struct master_equation {
    int sites;
    int bond;

    void operator()(const std::vector<double>& y, std::vector<double>& dy) const {
        std::fill(dy.begin(), dy.end(), 0.0);
        const unsigned count = 1u << sites;
        for (unsigned c = 0; c < count; ++c) {
            for (int i = 0; i < sites; ++i) {
                if (!(c >> i & 1u)) continue;
                for (int dir = -1; dir <= 1; dir += 2) {
                    const int target = i + dir;
                    if (target < 0 || target >= sites || (c >> target & 1u)) continue;
                    const unsigned next = (c & ~(1u << i)) | (1u << target);
                    double dq = 0.0;
                    if (dir > 0 && target == bond) dq = 1.0;
                    if (dir < 0 && i == bond) dq = -1.0;
                    const double p = y[3 * c], m1 = y[3 * c + 1], m2 = y[3 * c + 2];
                    dy[3 * c] -= p;
                    dy[3 * c + 1] -= m1;
                    dy[3 * c + 2] -= m2;
                    dy[3 * next] += p;
                    dy[3 * next + 1] += m1 + dq * p;
                    dy[3 * next + 2] += m2 + 2.0 * dq * m1 + dq * dq * p;
                }
            }
        }
    }
};

// ============================================================================================
// (a) closed_rail_occupancy
// ============================================================================================

TEST(ClosedRailOccupancy, SingleIonIsBoltzmannDistribution) {
    const int sites = 9;
    const double field = 0.37;
    const std::vector<double> energy = rough_energies(sites);
    const auto occ = ref::closed_rail_occupancy(sites, 1, field, energy);
    double z = 0.0;
    for (int i = 0; i < sites; ++i) z += std::exp(field * i - energy[i]);
    for (int i = 0; i < sites; ++i) {
        EXPECT_NEAR(occ[i], std::exp(field * i - energy[i]) / z, 1e-14) << "site " << i;
    }
}

TEST(ClosedRailOccupancy, SingleIonInFieldIsGeometric) {
    // Without site energies the distribution is geometric: q^i (1 - q) / (1 - q^L), q = e^f.
    const int sites = 12;
    for (double field : {-1.3, -0.2, 0.05, 0.8}) {
        const auto occ = ref::closed_rail_occupancy(sites, 1, field, {});
        const double q = std::exp(field);
        for (int i = 0; i < sites; ++i) {
            const double expected = std::pow(q, i) * (1.0 - q) / (1.0 - std::pow(q, sites));
            EXPECT_NEAR(occ[i], expected, 1e-14) << "field " << field << " site " << i;
        }
    }
}

TEST(ClosedRailOccupancy, ThreeSitesTwoIonsByHand) {
    // Configurations {0,1}, {0,2}, {1,2} carry weights e^f, e^2f, e^3f.
    const double f = 0.7;
    const double a = std::exp(f), b = std::exp(2 * f), c = std::exp(3 * f);
    const double z = a + b + c;
    const auto occ = ref::closed_rail_occupancy(3, 2, f, {});
    EXPECT_NEAR(occ[0], (a + b) / z, 1e-15);
    EXPECT_NEAR(occ[1], (a + c) / z, 1e-15);
    EXPECT_NEAR(occ[2], (b + c) / z, 1e-15);
}

TEST(ClosedRailOccupancy, FullRailIsAllOnesAndEmptyRailAllZeros) {
    const auto full = ref::closed_rail_occupancy(10, 10, 3.0, rough_energies(10));
    for (double x : full) EXPECT_DOUBLE_EQ(x, 1.0);
    const auto empty = ref::closed_rail_occupancy(10, 0, 3.0, rough_energies(10));
    for (double x : empty) EXPECT_DOUBLE_EQ(x, 0.0);
    EXPECT_TRUE(ref::closed_rail_occupancy(0, 0, 0.0, {}).empty());
}

TEST(ClosedRailOccupancy, OccupanciesSumToIonCountAndStayInUnitInterval) {
    for (int sites : {1, 5, 11, 16}) {
        for (int ions = 0; ions <= sites; ++ions) {
            for (double field : {-2.0, 0.0, 0.45}) {
                const auto occ = ref::closed_rail_occupancy(sites, ions, field, rough_energies(sites));
                EXPECT_NEAR(sum_of(occ), ions, 1e-12) << sites << " " << ions << " " << field;
                for (double x : occ) {
                    EXPECT_GE(x, 0.0);
                    EXPECT_LE(x, 1.0 + 1e-15);
                }
            }
        }
    }
}

TEST(ClosedRailOccupancy, ZeroFieldAndEnergiesGiveUniformFilling) {
    for (int ions : {1, 4, 7}) {
        const auto occ = ref::closed_rail_occupancy(14, ions, 0.0, {});
        for (double x : occ) EXPECT_NEAR(x, ions / 14.0, 1e-14);
    }
}

TEST(ClosedRailOccupancy, HoleDualityFlipsFieldAndEnergiesWithoutReversal) {
    const int sites = 13;
    const std::vector<double> e = rough_energies(sites);
    for (int ions : {2, 6, 10}) {
        for (double f : {-0.9, 0.3}) {
            const auto particles = ref::closed_rail_occupancy(sites, ions, f, e);
            const auto holes = ref::closed_rail_occupancy(sites, sites - ions, -f, negated(e));
            for (int i = 0; i < sites; ++i) {
                EXPECT_NEAR(particles[i], 1.0 - holes[i], 1e-13) << ions << " " << f << " " << i;
            }
        }
    }
}

TEST(ClosedRailOccupancy, MirrorReversesRailAndField) {
    const int sites = 11;
    const std::vector<double> e = rough_energies(sites);
    const auto occ = ref::closed_rail_occupancy(sites, 4, 0.6, e);
    const auto mirror = ref::closed_rail_occupancy(sites, 4, -0.6, reversed(e));
    for (int i = 0; i < sites; ++i) EXPECT_NEAR(occ[i], mirror[sites - 1 - i], 1e-14);
}

TEST(ClosedRailOccupancy, ParticleHoleWithReversalKeepsFieldSign) {
    // Duality then mirror: occ(n, f, e)_i = 1 - occ(L - n, +f, -reverse(e))_{L-1-i}.
    // The tempting "1 - occ(L - n, -f)_{L-1-i}" is wrong (it applies the sign flip twice); the
    // check below guards against a validation test adopting it.
    const int sites = 12;
    const std::vector<double> e = rough_energies(sites);
    const int ions = 5;
    const double f = 0.4;
    const auto occ = ref::closed_rail_occupancy(sites, ions, f, e);
    const auto dual = ref::closed_rail_occupancy(sites, sites - ions, f, negated(reversed(e)));
    for (int i = 0; i < sites; ++i) EXPECT_NEAR(occ[i], 1.0 - dual[sites - 1 - i], 1e-13);

    const auto plain = ref::closed_rail_occupancy(sites, ions, f, {});
    const auto wrong = ref::closed_rail_occupancy(sites, sites - ions, -f, {});
    double worst = 0.0;
    for (int i = 0; i < sites; ++i) {
        worst = std::max(worst, std::abs(plain[i] - (1.0 - wrong[sites - 1 - i])));
    }
    EXPECT_GT(worst, 0.1);
}

TEST(ClosedRailOccupancy, HugeFieldsDoNotOverflow) {
    const int sites = 10, ions = 3;
    const auto right = ref::closed_rail_occupancy(sites, ions, 800.0, {});
    const auto left = ref::closed_rail_occupancy(sites, ions, -800.0, {});
    for (int i = 0; i < sites; ++i) {
        ASSERT_TRUE(std::isfinite(right[i]) && std::isfinite(left[i]));
        EXPECT_NEAR(right[i], i >= sites - ions ? 1.0 : 0.0, 1e-300 + 1e-15);
        EXPECT_NEAR(left[i], i < ions ? 1.0 : 0.0, 1e-15);
    }
}

TEST(ClosedRailOccupancy, RejectsInvalidArguments) {
    EXPECT_THROW(ref::closed_rail_occupancy(4, 5, 0.0, {}), std::invalid_argument);
    EXPECT_THROW(ref::closed_rail_occupancy(4, -1, 0.0, {}), std::invalid_argument);
    EXPECT_THROW(ref::closed_rail_occupancy(-1, 0, 0.0, {}), std::invalid_argument);
    EXPECT_THROW(ref::closed_rail_occupancy(4, 2, 0.0, {1.0, 2.0}), std::invalid_argument);
    EXPECT_THROW(ref::closed_rail_occupancy(4, 2, std::nan(""), {}), std::invalid_argument);
    EXPECT_THROW(ref::closed_rail_occupancy(60, 30, 0.0, {}), std::invalid_argument);
}

// ============================================================================================
// (b) ssep_mean_occupancy
// ============================================================================================

const std::vector<double> kProfile = {1.0, 1.0, 0.0, 1.0, 0.25, 0.0, 0.0, 0.8, 1.0, 0.0, 0.5, 0.1};

TEST(SsepMeanOccupancy, ZeroTimeReturnsInput) {
    const auto out = ref::ssep_mean_occupancy(kProfile, 0.0);
    ASSERT_EQ(out.size(), kProfile.size());
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], kProfile[i], 1e-14);
}

TEST(SsepMeanOccupancy, ConservesTotalOccupancy) {
    for (double gt : {0.01, 0.5, 3.0, 40.0}) {
        EXPECT_NEAR(sum_of(ref::ssep_mean_occupancy(kProfile, gt)), sum_of(kProfile), 1e-13);
    }
}

TEST(SsepMeanOccupancy, LongTimeGivesUniformMean) {
    // Slowest mode decays as exp(-4 sin^2(pi/2L) Gamma t) = exp(-136) at L = 12, Gamma t = 2000.
    const double mean = sum_of(kProfile) / static_cast<double>(kProfile.size());
    for (double x : ref::ssep_mean_occupancy(kProfile, 2000.0)) EXPECT_NEAR(x, mean, 1e-13);
}

TEST(SsepMeanOccupancy, MatchesRk4OfReflectingHeatEquation) {
    const std::size_t n = kProfile.size();
    const auto heat = [n](const std::vector<double>& r, std::vector<double>& d) {
        for (std::size_t i = 0; i < n; ++i) {
            d[i] = 0.0;
            if (i > 0) d[i] += r[i - 1] - r[i];
            if (i + 1 < n) d[i] += r[i + 1] - r[i];
        }
    };
    for (double gt : {0.3, 2.5}) {
        const auto expected = integrate_rk4(heat, kProfile, gt, 8000);
        const auto out = ref::ssep_mean_occupancy(kProfile, gt);
        for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(out[i], expected[i], 1e-10) << gt;
    }
}

TEST(SsepMeanOccupancy, SemigroupProperty) {
    const auto two_step = ref::ssep_mean_occupancy(ref::ssep_mean_occupancy(kProfile, 0.7), 1.1);
    const auto one_step = ref::ssep_mean_occupancy(kProfile, 1.8);
    for (std::size_t i = 0; i < kProfile.size(); ++i) EXPECT_NEAR(two_step[i], one_step[i], 1e-13);
}

TEST(SsepMeanOccupancy, AgreesWithFullExclusionMasterEquation) {
    // The heat equation for <n_i> at arbitrary density is the non-trivial claim (hard-core terms
    // cancel only for the symmetric process). Start from the definite configuration 1,1,0,1,0,0
    // and evolve the full 2^6-state master equation.
    const int sites = 6;
    const unsigned start = 0b001011u;  // bit i = site i occupied
    std::vector<double> state(3u << sites, 0.0);
    state[3 * start] = 1.0;
    const double gt = 1.3;
    const auto evolved = integrate_rk4(master_equation{sites, 3}, state, gt, 8000);

    std::vector<double> mean(sites, 0.0), initial(sites, 0.0);
    for (unsigned c = 0; c < (1u << sites); ++c) {
        for (int i = 0; i < sites; ++i) {
            if (c >> i & 1u) mean[i] += evolved[3 * c];
        }
    }
    for (int i = 0; i < sites; ++i) initial[i] = (start >> i & 1u) ? 1.0 : 0.0;
    const auto out = ref::ssep_mean_occupancy(initial, gt);
    for (int i = 0; i < sites; ++i) EXPECT_NEAR(out[i], mean[i], 1e-10) << "site " << i;
}

TEST(SsepMeanOccupancy, EdgeCasesAndValidation) {
    EXPECT_TRUE(ref::ssep_mean_occupancy({}, 1.0).empty());
    const auto single = ref::ssep_mean_occupancy({0.3}, 10.0);
    ASSERT_EQ(single.size(), 1u);
    EXPECT_NEAR(single[0], 0.3, 1e-15);
    EXPECT_THROW(ref::ssep_mean_occupancy(kProfile, -0.1), std::invalid_argument);
    EXPECT_THROW(ref::ssep_mean_occupancy({0.1, std::nan("")}, 1.0), std::invalid_argument);
}

// ============================================================================================
// ssep_bond_current_variance
// ============================================================================================

TEST(SsepBondCurrentVariance, AgreesWithMasterEquationMoments) {
    const int sites = 6;
    const double rho = 0.3;
    for (int bond : {1, 3}) {
        std::vector<double> state(3u << sites, 0.0);
        for (unsigned c = 0; c < (1u << sites); ++c) {
            int n = 0;
            for (int i = 0; i < sites; ++i) n += static_cast<int>(c >> i & 1u);
            state[3 * c] = std::pow(rho, n) * std::pow(1.0 - rho, sites - n);
        }
        for (double gt : {0.4, 2.0}) {
            const auto evolved = integrate_rk4(master_equation{sites, bond}, state, gt, 8000);
            double m1 = 0.0, m2 = 0.0;
            for (unsigned c = 0; c < (1u << sites); ++c) {
                m1 += evolved[3 * c + 1];
                m2 += evolved[3 * c + 2];
            }
            EXPECT_NEAR(m1, 0.0, 1e-12);
            EXPECT_NEAR(ref::ssep_bond_current_variance(sites, bond, rho, gt), m2 - m1 * m1, 1e-10)
                << "bond " << bond << " gamma_t " << gt;
        }
    }
}

TEST(SsepBondCurrentVariance, LongRailReducesToInfiniteLatticeFormula) {
    const double rho = 0.4;
    for (double gt : {0.5, 7.0, 30.0}) {
        const double expected = rho * (1.0 - rho) * ref::symmetric_walk_mean_abs_displacement(gt);
        EXPECT_NEAR(ref::ssep_bond_current_variance(600, 300, rho, gt), expected, 1e-10 * expected);
    }
}

TEST(SsepBondCurrentVariance, RejectsInvalidArguments) {
    EXPECT_THROW(ref::ssep_bond_current_variance(5, 0, 0.5, 1.0), std::invalid_argument);
    EXPECT_THROW(ref::ssep_bond_current_variance(5, 5, 0.5, 1.0), std::invalid_argument);
    EXPECT_THROW(ref::ssep_bond_current_variance(5, 2, 1.5, 1.0), std::invalid_argument);
    EXPECT_THROW(ref::ssep_bond_current_variance(5, 2, 0.5, -1.0), std::invalid_argument);
}

// ============================================================================================
// (c) tracer diffusion
// ============================================================================================

TEST(SymmetricWalkMeanAbs, MatchesBesselClosedForm) {
    // E|Y_t| = x e^{-x} (I0(x) + I1(x)), x = 2 Gamma t; follows from d/dt E|Y_t| = 2 Gamma P(Y=0).
    // std::cyl_bessel_i overflows past x ~ 700, so the comparison stops at x = 600.
    for (double gt : {1e-3, 0.1, 0.5, 1.0, 3.7, 10.0, 55.0, 120.0, 300.0}) {
        const double x = 2.0 * gt;
        const double closed = x * std::exp(-x) * (std::cyl_bessel_i(0.0, x) + std::cyl_bessel_i(1.0, x));
        EXPECT_NEAR(ref::symmetric_walk_mean_abs_displacement(gt), closed, 1e-12 * closed) << gt;
    }
}

TEST(SymmetricWalkMeanAbs, LargeTimeExpansion) {
    // From the Hankel expansion of e^{-x} I_nu(x):
    // E|Y| = sqrt(4 g / pi) (1 - 1/(16 g) - 3/(512 g^2) + O(g^-3)), g = Gamma t.
    for (double gt : {500.0, 2000.0, 1e5}) {
        const double expansion =
            std::sqrt(4.0 * gt / pi) * (1.0 - 1.0 / (16.0 * gt) - 3.0 / (512.0 * gt * gt));
        EXPECT_NEAR(ref::symmetric_walk_mean_abs_displacement(gt), expansion, 1e-9 * expansion) << gt;
    }
}

TEST(SymmetricWalkMeanAbs, ShortTimeIsOneJump) {
    // d/dt E|Y| = 2 Gamma e^{-2g} I0(2g) = 2 Gamma (1 - 2g + 3g^2 + ...), so
    // E|Y| = 2g - 2g^2 + 2g^3 + O(g^4): the first jump dominates, returns enter at second order.
    const double g = 1e-4;
    EXPECT_NEAR(ref::symmetric_walk_mean_abs_displacement(g), 2.0 * g - 2.0 * g * g + 2.0 * g * g * g,
                1e-11 * g);
    EXPECT_EQ(ref::symmetric_walk_mean_abs_displacement(0.0), 0.0);
    EXPECT_THROW(ref::symmetric_walk_mean_abs_displacement(-1.0), std::invalid_argument);
}

TEST(SingleFileTracerMsd, ArratiaAsymptoticValues) {
    EXPECT_NEAR(ref::single_file_tracer_msd(0.5, 500.0), std::sqrt(2000.0 / pi), 1e-12);
    EXPECT_NEAR(ref::single_file_tracer_msd(0.25, 100.0), 3.0 * std::sqrt(400.0 / pi), 1e-12);
    EXPECT_EQ(ref::single_file_tracer_msd(1.0, 100.0), 0.0);
    EXPECT_THROW(ref::single_file_tracer_msd(0.0, 1.0), std::invalid_argument);
    EXPECT_THROW(ref::single_file_tracer_msd(0.5, -1.0), std::invalid_argument);
}

TEST(SingleFileTracerMsd, EqualsLongTimeCurrentVarianceOverDensitySquared) {
    // Arratia's tracer law and the De Masi-Ferrari flux law are the same statement X ~ Q / rho;
    // the exact current variance rho (1 - rho) E|Y_t| differs only by the lattice factor
    // 1 - 1/(16 Gamma t) + O((Gamma t)^-2).
    for (double rho : {0.2, 0.5, 0.9}) {
        for (double gt : {500.0, 2000.0}) {
            const double from_current =
                rho * (1.0 - rho) * ref::symmetric_walk_mean_abs_displacement(gt) / (rho * rho);
            EXPECT_NEAR(from_current / ref::single_file_tracer_msd(rho, gt), 1.0 - 1.0 / (16.0 * gt),
                        1e-7)
                << rho << " " << gt;
        }
    }
}

// ============================================================================================
// (d) poisson_bond_field
// ============================================================================================

constexpr double kEps = 10.0 * 8.8541878128e-12;  // F/m
constexpr double kThickness = 20e-9;                // m
constexpr double kVoltage = 0.8;                    // V

// Potential drop int_0^d E dx from the returned boundary fields: inside zone k the field is
// linear with slope rho_k / eps (Gauss), so the end values follow and the trapezoid rule is exact.
double potential_drop(const std::vector<double>& field, const std::vector<double>& rho, double d,
                      double eps) {
    const std::size_t zones = rho.size();
    const double h = d / static_cast<double>(zones);
    std::vector<double> e(zones + 1);
    for (std::size_t k = 1; k < zones; ++k) e[k] = field[k - 1];
    e[0] = e[1] - rho[0] * h / eps;
    e[zones] = e[zones - 1] + rho[zones - 1] * h / eps;
    double drop = 0.0;
    for (std::size_t k = 0; k < zones; ++k) drop += 0.5 * h * (e[k] + e[k + 1]);
    return drop;
}

std::vector<double> charge_profile(std::size_t zones) {
    std::vector<double> rho(zones);
    for (std::size_t k = 0; k < zones; ++k) {
        rho[k] = 3e7 * std::sin(0.9 * static_cast<double>(k) + 0.2) + 1e7;  // C/m^3
    }
    return rho;
}

TEST(PoissonBondField, NoChargeGivesUniformField) {
    const auto e = ref::poisson_bond_field(kThickness, kVoltage, kEps, std::vector<double>(16, 0.0));
    ASSERT_EQ(e.size(), 15u);
    for (double x : e) EXPECT_NEAR(x, kVoltage / kThickness, 1e-12 * kVoltage / kThickness);
}

TEST(PoissonBondField, SingleChargedZoneMatchesHandSolution) {
    // Gauss: E' = rho/eps, so E jumps by rho0 h / eps across the charged zone [a, a + h] and is
    // flat elsewhere. int_0^d E = V fixes E(0) = V/d - rho0 h (d - c) / (eps d), c = a + h/2.
    const std::size_t zones = 10;
    const double h = kThickness / static_cast<double>(zones);
    const double rho0 = 5e7;
    for (std::size_t charged : {std::size_t{0}, std::size_t{3}, zones - 1}) {
        std::vector<double> rho(zones, 0.0);
        rho[charged] = rho0;
        const double centre = (static_cast<double>(charged) + 0.5) * h;
        const double e_left = kVoltage / kThickness - rho0 * h * (kThickness - centre) / (kEps * kThickness);
        const double e_right = e_left + rho0 * h / kEps;
        const auto e = ref::poisson_bond_field(kThickness, kVoltage, kEps, rho);
        for (std::size_t k = 1; k < zones; ++k) {
            const double expected = k <= charged ? e_left : e_right;
            EXPECT_NEAR(e[k - 1], expected, 1e-10 * std::abs(rho0 * h / kEps)) << charged << " " << k;
        }
    }
}

TEST(PoissonBondField, FieldJumpAcrossEachZoneIsItsCharge) {
    const auto rho = charge_profile(12);
    const auto e = ref::poisson_bond_field(kThickness, kVoltage, kEps, rho);
    const double h = kThickness / 12.0;
    for (std::size_t k = 1; k + 1 < 12; ++k) {
        const double jump = rho[k] * h / kEps;
        EXPECT_NEAR(e[k] - e[k - 1], jump, 1e-10 * 3e7 * h / kEps) << k;
    }
}

TEST(PoissonBondField, PotentialDropEqualsAppliedVoltage) {
    for (double v : {0.8, -0.3, 0.0}) {
        const auto rho = charge_profile(16);
        const auto e = ref::poisson_bond_field(kThickness, v, kEps, rho);
        EXPECT_NEAR(potential_drop(e, rho, kThickness, kEps), v, 1e-10) << v;
    }
}

TEST(PoissonBondField, LinearInChargeAndVoltage) {
    const auto rho_a = charge_profile(9);
    std::vector<double> rho_b(9), combined(9);
    for (std::size_t k = 0; k < 9; ++k) {
        rho_b[k] = -2e7 * std::cos(1.3 * static_cast<double>(k));
        combined[k] = 2.5 * rho_a[k] - 0.7 * rho_b[k];
    }
    const auto ea = ref::poisson_bond_field(kThickness, 0.0, kEps, rho_a);
    const auto eb = ref::poisson_bond_field(kThickness, 0.0, kEps, rho_b);
    const auto e0 = ref::poisson_bond_field(kThickness, kVoltage, kEps, std::vector<double>(9, 0.0));
    const auto e = ref::poisson_bond_field(kThickness, kVoltage, kEps, combined);
    const double scale = 3e7 * kThickness / kEps;
    for (std::size_t k = 0; k < e.size(); ++k) {
        EXPECT_NEAR(e[k], e0[k] + 2.5 * ea[k] - 0.7 * eb[k], 1e-12 * scale) << k;
    }
}

TEST(PoissonBondField, IndependentOfSubdivisionBecauseNodallyExact) {
    // A merely second-order scheme would drift by O(1/M^2) here.
    const auto rho = charge_profile(7);
    const auto coarse = ref::poisson_bond_field(kThickness, kVoltage, kEps, rho, 1);
    const double scale = 3e7 * kThickness / kEps;
    for (int m : {2, 5, 33}) {
        const auto fine = ref::poisson_bond_field(kThickness, kVoltage, kEps, rho, m);
        for (std::size_t k = 0; k < coarse.size(); ++k) EXPECT_NEAR(fine[k], coarse[k], 1e-12 * scale);
    }
}

TEST(PoissonBondField, EdgeCasesAndValidation) {
    EXPECT_TRUE(ref::poisson_bond_field(kThickness, kVoltage, kEps, {1e7}).empty());
    EXPECT_THROW(ref::poisson_bond_field(0.0, kVoltage, kEps, {0.0, 0.0}), std::invalid_argument);
    EXPECT_THROW(ref::poisson_bond_field(kThickness, kVoltage, 0.0, {0.0, 0.0}), std::invalid_argument);
    EXPECT_THROW(ref::poisson_bond_field(kThickness, kVoltage, kEps, {}), std::invalid_argument);
    EXPECT_THROW(ref::poisson_bond_field(kThickness, kVoltage, kEps, {0.0, 0.0}, 0), std::invalid_argument);
}

}  // namespace
