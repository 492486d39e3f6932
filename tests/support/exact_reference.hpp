// Exact (or explicitly asymptotic) reference values for validating the kinetic Monte Carlo engine.
//
// Everything here is deliberately independent of the engine: brute-force enumeration, spectral
// solutions and a separate finite-element solve, so that a bug shared by engine and reference is
// unlikely. Standard library only, so the file can be dropped into any test target.
//
// Conventions shared by all functions: sites i = 0..L-1 at x_i = (i + 1/2) a, walls at x = 0 and
// x = L a, one ion per site at most, ions never pass each other, and each ion hops to a free
// nearest-neighbour site. Gamma is the hop rate towards each neighbour, so a lone ion has
// D0 = Gamma a^2 and every time argument below is the dimensionless gamma_t = Gamma * t.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace ionrail::test {

namespace detail {

inline void require(bool condition, const std::string& message) {
    if (!condition) {
        throw std::invalid_argument("exact_reference: " + message);
    }
}

inline constexpr double pi = 3.14159265358979323846264338327950288;

// Caps the brute-force enumeration so that a mistyped size fails loudly instead of running for
// hours; C(28, 14) ~ 4e7 still fits, which is far beyond what exact tests need.
inline constexpr double max_enumerated_configurations = 5.0e7;

inline double binomial_coefficient(int n, int k) {
    k = std::min(k, n - k);
    double value = 1.0;
    for (int j = 1; j <= k; ++j) {
        value = value * static_cast<double>(n - k + j) / static_cast<double>(j);
    }
    return value;
}

// Advances a strictly increasing index set to the next one in lexicographic order; returns false
// after the last set. Lexicographic order is irrelevant to the result but makes the walk cheap.
inline bool next_combination(std::vector<int>& positions, int sites) {
    const int count = static_cast<int>(positions.size());
    int j = count - 1;
    while (j >= 0 && positions[j] == sites - count + j) {
        --j;
    }
    if (j < 0) {
        return false;
    }
    ++positions[j];
    for (int i = j + 1; i < count; ++i) {
        positions[i] = positions[i - 1] + 1;
    }
    return true;
}

// cos(pi * numerator / (2 L)) with the argument reduced exactly in integers first, so that large
// mode/site products do not lose accuracy to floating-point range reduction.
inline double half_cosine(long long numerator, long long sites) {
    const long long period = 4 * sites;
    const long long reduced = numerator % period;
    return std::cos(pi * static_cast<double>(reduced) / static_cast<double>(2 * sites));
}

inline void require_all_finite(const std::vector<double>& values, const std::string& what) {
    for (double v : values) {
        require(std::isfinite(v), what + " must be finite");
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// (a) Closed rail in equilibrium.
//
// Exact stationary mean occupancy <n_i> for `ions` ions on `sites` sites. A configuration with
// occupied sites p_1..p_n has Boltzmann weight
//     exp(beta_field_energy * sum_j p_j - sum_j beta_site_energy[p_j]),
// with beta_field_energy = z e E a / (kB T); a positive value therefore pushes ions towards high
// indices. An empty beta_site_energy means all site energies are zero.
//
// Useful exact identities (all tested):
//   hole duality:  occ(n, f, e)_i = 1 - occ(L - n, -f, -e)_i          (holes feel the opposite
//                  field and opposite site energies; no reversal of the rail is involved)
//   mirror:        occ(n, f, e)_i = occ(n, -f, reverse(e))_{L-1-i}
//   combined:      occ(n, f, e)_i = 1 - occ(L - n, +f, -reverse(e))_{L-1-i}
//
// Cost is C(L, n) * n; any (L, n) with C(L, n) <= 5e7 is accepted (all of L <= 28).
inline std::vector<double> closed_rail_occupancy(int sites, int ions, double beta_field_energy,
                                                 const std::vector<double>& beta_site_energy) {
    detail::require(sites >= 0, "sites must be non-negative");
    detail::require(ions >= 0, "ions must be non-negative");
    detail::require(ions <= sites, "ions must not exceed sites");
    detail::require(beta_site_energy.empty() ||
                        beta_site_energy.size() == static_cast<std::size_t>(sites),
                    "beta_site_energy must be empty or have one entry per site");
    detail::require(std::isfinite(beta_field_energy), "beta_field_energy must be finite");
    detail::require_all_finite(beta_site_energy, "beta_site_energy");
    detail::require(detail::binomial_coefficient(sites, ions) <=
                        detail::max_enumerated_configurations,
                    "too many configurations to enumerate");

    std::vector<double> energy = beta_site_energy;
    energy.resize(static_cast<std::size_t>(sites), 0.0);

    std::vector<int> positions(static_cast<std::size_t>(ions));
    const auto reset = [&positions]() {
        for (std::size_t j = 0; j < positions.size(); ++j) {
            positions[j] = static_cast<int>(j);
        }
    };
    const auto log_weight = [&]() {
        double s = 0.0;
        for (int p : positions) {
            s += beta_field_energy * static_cast<double>(p) - energy[p];
        }
        return s;
    };

    // First pass finds the largest exponent so that every weight in the second pass is <= 1;
    // fields of hundreds of kT would otherwise overflow exp().
    double max_log_weight = -std::numeric_limits<double>::infinity();
    reset();
    do {
        max_log_weight = std::max(max_log_weight, log_weight());
    } while (detail::next_combination(positions, sites));

    // Long double accumulators keep the rounding of ~1e7 positive terms well below 1e-12.
    long double partition = 0.0L;
    std::vector<long double> weighted(static_cast<std::size_t>(sites), 0.0L);
    reset();
    do {
        const long double w = static_cast<long double>(std::exp(log_weight() - max_log_weight));
        partition += w;
        for (int p : positions) {
            weighted[p] += w;
        }
    } while (detail::next_combination(positions, sites));

    std::vector<double> occupancy(static_cast<std::size_t>(sites));
    for (std::size_t i = 0; i < occupancy.size(); ++i) {
        occupancy[i] = static_cast<double>(weighted[i] / partition);
    }
    return occupancy;
}

// ---------------------------------------------------------------------------------------------
// (b) Symmetric simple exclusion process (E = 0, no site energies): ensemble mean occupancy.
//
// For the SSEP the hard-core terms cancel in the equation for <n_i> (duality), so the mean obeys
// the closed linear equation d rho_i/dt = Gamma (rho_{i+1} + rho_{i-1} - 2 rho_i) at any density,
// with a missing neighbour at a wall contributing no flux. The reflecting Laplacian is diagonal
// in the DCT-II basis v_k(i) = cos(pi k (i + 1/2) / L) with eigenvalue -4 Gamma sin^2(pi k / 2L),
// so the solution is evaluated exactly at any time rather than stepped. O(L^2).
inline std::vector<double> ssep_mean_occupancy(const std::vector<double>& initial, double gamma_t) {
    detail::require(std::isfinite(gamma_t) && gamma_t >= 0.0, "gamma_t must be finite and >= 0");
    detail::require_all_finite(initial, "initial occupancy");

    const std::size_t sites = initial.size();
    std::vector<double> result(sites, 0.0);
    if (sites == 0) {
        return result;
    }
    const auto sites_ll = static_cast<long long>(sites);

    for (std::size_t k = 0; k < sites; ++k) {
        double coefficient = 0.0;
        for (std::size_t i = 0; i < sites; ++i) {
            coefficient += initial[i] * detail::half_cosine(static_cast<long long>(k * (2 * i + 1)),
                                                            sites_ll);
        }
        // DCT-II modes have squared norm L for k = 0 and L/2 otherwise.
        coefficient *= (k == 0 ? 1.0 : 2.0) / static_cast<double>(sites);
        // sin^2 form avoids the cancellation in 1 - cos for long-wavelength modes.
        const double half_angle = detail::pi * static_cast<double>(k) /
                                  (2.0 * static_cast<double>(sites));
        const double s = std::sin(half_angle);
        const double decay = std::exp(-4.0 * gamma_t * s * s);
        if (decay == 0.0) {
            continue;
        }
        for (std::size_t i = 0; i < sites; ++i) {
            result[i] += coefficient * decay *
                         detail::half_cosine(static_cast<long long>(k * (2 * i + 1)), sites_ll);
        }
    }
    return result;
}

// Exact variance of the net number of ions that crossed bond `bond` (between sites bond-1 and
// bond, counted positive left-to-right) during time t, for a closed SSEP rail whose initial
// state is drawn site-by-site from Bernoulli(density) (grand-canonical, annealed average).
//
// Why it is exact: Q = N_R(t) - N_R(0) with R = {bond..L-1}. The product Bernoulli measure is
// invariant and, by SSEP duality, Cov(n_x(t), n_y(0)) = rho (1 - rho) p_t(y -> x) with p_t the
// reflecting single-walker kernel. Hence
//     Var Q = 2 rho (1 - rho) sum_{x in R} P_x(walker in left part at time t),
// and the inner probability is one call of ssep_mean_occupancy on an indicator. On an infinite
// rail this reduces to rho (1 - rho) E|Y_t| (see symmetric_walk_mean_abs_displacement), whose
// long-time limit rho (1 - rho) sqrt(4 Gamma t / pi) is the De Masi-Ferrari flux result.
// Accuracy is ~1e-13 absolute, so relative accuracy degrades for gamma_t below ~1e-3.
inline double ssep_bond_current_variance(int sites, int bond, double density, double gamma_t) {
    detail::require(sites >= 2, "sites must be >= 2");
    detail::require(bond >= 1 && bond <= sites - 1, "bond must be in 1..sites-1");
    detail::require(density >= 0.0 && density <= 1.0, "density must be in [0, 1]");
    detail::require(std::isfinite(gamma_t) && gamma_t >= 0.0, "gamma_t must be finite and >= 0");

    std::vector<double> left_indicator(static_cast<std::size_t>(sites), 0.0);
    for (int i = 0; i < bond; ++i) {
        left_indicator[i] = 1.0;
    }
    const std::vector<double> spread = ssep_mean_occupancy(left_indicator, gamma_t);
    double crossed = 0.0;
    for (int i = bond; i < sites; ++i) {
        crossed += spread[i];
    }
    return 2.0 * density * (1.0 - density) * crossed;
}

// ---------------------------------------------------------------------------------------------
// (c) Single-file tracer diffusion on the infinite lattice in equilibrium (annealed start).

// E|Y_t| in units of a for a free continuous-time walker hopping at rate Gamma to each side,
// i.e. Y = N1 - N2 with N1, N2 ~ Poisson(Gamma t) independent. Exact for every t.
//
// Computed as E|N1 - N2| = 2 sum_n p(n) H(n), H(n) = sum_{m<n} (n - m) p(m), where H obeys the
// all-positive recursion H(n+1) = H(n) + F(n) (F the CDF), so there is no cancellation. The
// Poisson weights are generated by ratio recursion outward from the mode with an arbitrary
// scale and the result is divided by (sum p)^2, which removes the scale exactly; this avoids
// the ~1e-11 cancellation error of evaluating n ln(lambda) - lgamma(n+1) at large lambda.
// Closed form for cross-checking: E|Y_t| = x e^{-x} (I0(x) + I1(x)), x = 2 Gamma t.
inline double symmetric_walk_mean_abs_displacement(double gamma_t) {
    detail::require(std::isfinite(gamma_t) && gamma_t >= 0.0, "gamma_t must be finite and >= 0");
    // Beyond this the unit-step recursion below stops resolving integers and cost grows as
    // sqrt(gamma_t); nothing a simulation can reach is anywhere near it.
    detail::require(gamma_t <= 1e12, "gamma_t must be <= 1e12");
    if (gamma_t == 0.0) {
        return 0.0;
    }
    const double lambda = gamma_t;
    // Terms below this fraction of the mode weight change the sum by far less than 1e-16.
    constexpr double negligible = 1e-30;

    const double mode = std::floor(lambda);
    std::vector<double> below;  // weights for n = mode-1, mode-2, ... (unnormalised)
    {
        double w = 1.0;
        for (double n = mode; n >= 1.0; n -= 1.0) {
            w *= n / lambda;
            if (w < negligible) {
                break;
            }
            below.push_back(w);
        }
    }
    std::vector<double> weights(below.rbegin(), below.rend());
    weights.push_back(1.0);
    {
        double w = 1.0;
        for (double n = mode + 1.0;; n += 1.0) {
            w *= lambda / n;
            if (w < negligible) {
                break;
            }
            weights.push_back(w);
        }
    }

    double total = 0.0;
    double cdf = 0.0;
    double h = 0.0;
    double accumulated = 0.0;
    for (double w : weights) {
        accumulated += w * h;
        cdf += w;
        h += cdf;
        total += w;
    }
    return 2.0 * accumulated / (total * total);
}

// Long-time tracer MSD in units of a^2 on the infinite lattice, equilibrium (annealed) start:
//     <X_t^2> ~ ((1 - rho) / rho) sqrt(4 Gamma t / pi)        as Gamma t -> infinity.
// Source: R. Arratia, "The motion of a tagged particle in the simple symmetric exclusion system
// on Z", Ann. Probab. 11, 362-373 (1983), stated for total jump rate 1 (Gamma = 1/2), where it
// reads sqrt(2/pi) (1 - rho)/rho sqrt(t); rederived from the flux variance by De Masi & Ferrari,
// J. Stat. Phys. 107, 677 (2002). Equivalently Var(Q)/rho^2 with Var(Q) the bond-current
// variance below.
//
// Only the leading term is exact, and ((1 - rho)/rho) E|Y_t| is NOT an exact finite-time form:
// as t -> 0 the true MSD is 2 Gamma (1 - rho) t, that form gives 2 Gamma t (1 - rho)/rho. It is
// exact only to first order in the vacancy density, and it shifts the value by just
// -1/(16 Gamma t) relative, far less than the real correction. A Monte Carlo estimate made when
// this file was written (rho = 0.5, Gamma = 1, ~1.4e7 tracer histories in walled boxes far
// larger than the diffusion length; the same code reproduces ssep_bond_current_variance's
// infinite-rail limit to 0.3%) puts the true MSD below this value by 0.21 +- 0.03 at
// Gamma t = 500 (-0.8%) and 0.22 +- 0.09 at 2000 (-0.4%), i.e. an O(1) offset, relative
// O((Gamma t)^-1/2). At rho = 0.2 the deficit is 2.9 +- 0.15 (-2.9%) and 2.0 +- 0.4 (-1.0%);
// at rho = 0.8 it is below the +-0.3% noise. Tolerances in tracer tests must allow for this.
inline double single_file_tracer_msd(double density, double gamma_t) {
    detail::require(density > 0.0 && density <= 1.0, "density must be in (0, 1]");
    detail::require(std::isfinite(gamma_t) && gamma_t >= 0.0, "gamma_t must be finite and >= 0");
    return (1.0 - density) / density * std::sqrt(4.0 * gamma_t / detail::pi);
}

// ---------------------------------------------------------------------------------------------
// (d) Mean-field space-charge field, solved independently of any closed-form prefix sum.
//
// Solves phi'' = -rho/eps on [0, d] with phi(0) = V, phi(d) = 0 and rho piecewise constant over
// L equal zones; returns E = -phi' at the L-1 interior zone boundaries x_k = k d / L.
//
// Method: linear finite elements on a uniform grid of M sub-intervals per zone, solved with the
// Thomas algorithm for the deviation psi from the linear vacuum profile (so that a small charge
// is not lost against V). In 1-D the Green's function of -d^2/dx^2 is piecewise linear with its
// kink on a node, so it lies in the element space and the Galerkin solution equals the exact
// phi at every node, for any M >= 1. Because zone boundaries are nodes, the charge is constant
// on each adjacent sub-interval and phi is exactly quadratic there, which gives the exact
// one-sided derivatives
//     phi'(x_j+) = (phi_{j+1} - phi_j)/h + rho_right h / (2 eps),
//     phi'(x_j-) = (phi_j - phi_{j-1})/h - rho_left  h / (2 eps),
// equal in exact arithmetic (no surface charge); their mean is returned. The only error is
// rounding, ~ (L M)^2 * 1e-16 relative to the charge-induced field; M is exposed so tests can
// confirm the result does not depend on it.
inline std::vector<double> poisson_bond_field(double thickness_m, double voltage_v,
                                              double permittivity_f_per_m,
                                              const std::vector<double>& zone_charge_c_per_m3,
                                              int subnodes_per_zone = 4) {
    detail::require(std::isfinite(thickness_m) && thickness_m > 0.0, "thickness must be > 0");
    detail::require(std::isfinite(voltage_v), "voltage must be finite");
    detail::require(std::isfinite(permittivity_f_per_m) && permittivity_f_per_m > 0.0,
                    "permittivity must be > 0");
    detail::require(!zone_charge_c_per_m3.empty(), "at least one zone is required");
    detail::require_all_finite(zone_charge_c_per_m3, "zone charge");
    detail::require(subnodes_per_zone >= 1, "subnodes_per_zone must be >= 1");

    const std::size_t zones = zone_charge_c_per_m3.size();
    const auto per_zone = static_cast<std::size_t>(subnodes_per_zone);
    const std::size_t intervals = zones * per_zone;
    const double h = thickness_m / static_cast<double>(intervals);
    const double load_scale = h * h / (2.0 * permittivity_f_per_m);
    const auto charge_of_interval = [&](std::size_t interval) {
        return zone_charge_c_per_m3[interval / per_zone];
    };

    // Nodes 0..intervals; psi is zero at both ends, unknowns are nodes 1..intervals-1.
    // Stiffness row j: -psi_{j-1} + 2 psi_j - psi_{j+1} = h^2/(2 eps) (rho_left + rho_right).
    std::vector<double> psi(intervals + 1, 0.0);
    if (intervals >= 2) {
        const std::size_t unknowns = intervals - 1;
        std::vector<double> upper(unknowns);
        std::vector<double> rhs(unknowns);
        double pivot = 2.0;
        for (std::size_t r = 0; r < unknowns; ++r) {
            const std::size_t node = r + 1;
            const double load =
                load_scale * (charge_of_interval(node - 1) + charge_of_interval(node));
            if (r == 0) {
                pivot = 2.0;
                rhs[r] = load / pivot;
            } else {
                pivot = 2.0 + upper[r - 1];  // 2 - (-1) * upper, upper holds c'/pivot = -1/pivot
                rhs[r] = (load + rhs[r - 1]) / pivot;
            }
            upper[r] = -1.0 / pivot;
        }
        psi[unknowns] = rhs[unknowns - 1];
        for (std::size_t r = unknowns - 1; r-- > 0;) {
            psi[r + 1] = rhs[r] - upper[r] * psi[r + 2];
        }
    }

    const double vacuum_field = voltage_v / thickness_m;
    const double half_step_over_eps = h / (2.0 * permittivity_f_per_m);
    std::vector<double> field;
    field.reserve(zones - 1);
    for (std::size_t k = 1; k < zones; ++k) {
        const std::size_t j = k * per_zone;
        const double slope_right =
            (psi[j + 1] - psi[j]) / h + zone_charge_c_per_m3[k] * half_step_over_eps;
        const double slope_left =
            (psi[j] - psi[j - 1]) / h - zone_charge_c_per_m3[k - 1] * half_step_over_eps;
        field.push_back(vacuum_field - 0.5 * (slope_right + slope_left));
    }
    return field;
}

}  // namespace ionrail::test
