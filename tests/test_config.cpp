// The TOML run configuration (apps/src/config.cpp): every key into the
// structs, material include and override order, --set, and every error
// message naming file, key, value and range.
#include <gtest/gtest.h>

#include <ionrail/config/run_config.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "scratch.hpp"

namespace {

namespace fs = std::filesystem;
using ionrail::config::config_error;
using ionrail::config::load_run_config;
using ionrail::config::run_config;
namespace kmc = ionrail::kmc;

const fs::path fixtures = fs::path(__FILE__).parent_path() / "data" / "config";

std::string fixture(const std::string& name) { return (fixtures / name).string(); }

// A fresh directory per test (tests/support/scratch.hpp).
struct scratch : ionrail_test::scratch {
  scratch() : ionrail_test::scratch("ionrail_config_") {}
};

// The message of the config_error that loading throws ("" and a failure if none).
std::string error_of(const std::string& path, const std::vector<std::string>& sets = {}) {
  try {
    load_run_config(path, sets);
  } catch (const config_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    return what;
  }
  ADD_FAILURE() << "no config_error for " << path;
  return {};
}

// The error of a one-file run with TEXT.
std::string error_in(const scratch& s, const std::string& text, const std::vector<std::string>& sets = {}) {
  return error_of(s.write("run.toml", text), sets);
}

::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "message: " << text << "\n  lacks: " << part;
}

// ---------------------------------------------------------------- round trips

TEST(Config, EmptyRunFileGivesTheStructDefaults) {
  scratch s;
  const auto c = load_run_config(s.write("my_run.toml", "# nothing\n"));
  const kmc::device_params d0;
  const kmc::sim_params s0;
  const kmc::protocol_params p0;
  EXPECT_EQ(c.title, "my_run");
  EXPECT_EQ(c.material_path, "");
  EXPECT_EQ(c.backend, "cpu");
  EXPECT_TRUE(c.plots);
  EXPECT_TRUE(c.temperatures_k.empty());
  EXPECT_EQ(c.device.sites, d0.sites);
  EXPECT_EQ(c.device.rails, d0.rails);
  EXPECT_EQ(c.device.thickness_nm, d0.thickness_nm);
  EXPECT_EQ(c.device.ion_density_m3, d0.ion_density_m3);
  ASSERT_EQ(c.device.species.size(), 1u);
  EXPECT_EQ(c.device.species[0].name, d0.species[0].name);
  EXPECT_EQ(c.device.species[0].fill, d0.species[0].fill);
  ASSERT_EQ(c.device.classes.size(), 1u);
  EXPECT_EQ(c.device.classes[0].fraction, 1.0);
  EXPECT_TRUE(c.device.site_energy_ev.empty());
  EXPECT_EQ(c.sim.solver, s0.solver);
  EXPECT_EQ(c.sim.seed, s0.seed);
  EXPECT_EQ(c.sim.p_max, s0.p_max);
  EXPECT_EQ(c.protocol.kind, p0.kind);
  EXPECT_EQ(c.protocol.relax.voltage_v, p0.relax.voltage_v);
  EXPECT_EQ(c.protocol.sample_every_s, p0.sample_every_s);
}

TEST(Config, EveryMaterialKeyReachesTheStructs) {
  const auto c = load_run_config(fixture("material_only.toml"));
  EXPECT_EQ(c.material_path, (fixtures / "materials/polymer.toml").lexically_normal().string());
  EXPECT_EQ(c.title, "material_only");
  const auto& d = c.device;
  EXPECT_EQ(d.thickness_nm, 80.0);
  EXPECT_EQ(d.sites, 40);
  EXPECT_EQ(d.rails, 400);
  EXPECT_EQ(d.temperature_k, 310.0);
  EXPECT_EQ(d.zones, 8);
  EXPECT_EQ(d.area_um2, 2.5);
  EXPECT_EQ(d.rails_per_area_m2, 1e15);
  std::vector<double> landscape(40, 0.0);
  for (int i = 0; i <= 3; ++i) landscape[i] += -0.1;
  for (int i = 2; i <= 5; ++i) landscape[i] += 0.05;
  EXPECT_EQ(d.site_energy_ev, landscape);
  EXPECT_TRUE(d.initial_profile.empty());

  ASSERT_EQ(d.species.size(), 2u);
  EXPECT_EQ(d.species[0].name, "Li");
  EXPECT_EQ(d.species[0].charge, 1);
  EXPECT_EQ(d.species[0].activation_energy_ev, 0.6);
  EXPECT_EQ(d.species[0].attempt_frequency_hz, 2e12);
  EXPECT_EQ(d.species[0].fill, 0.25);
  EXPECT_EQ(d.species[1].name, "TFSI");
  EXPECT_EQ(d.species[1].charge, -1);
  EXPECT_EQ(d.species[1].activation_energy_ev, 0.8);
  EXPECT_EQ(d.species[1].attempt_frequency_hz, 1e12);
  EXPECT_EQ(d.species[1].fill, 0.1);

  ASSERT_EQ(d.classes.size(), 2u);
  EXPECT_EQ(d.classes[0].name, "amorphous");
  EXPECT_EQ(d.classes[0].fraction, 0.75);
  EXPECT_EQ(d.classes[0].activation_shift_ev, -0.05);
  EXPECT_EQ(d.classes[0].attempt_frequency_scale, 2.0);
  EXPECT_TRUE(d.classes[0].site_energy_ev.empty());
  EXPECT_EQ(d.classes[1].name, "crystalline");
  EXPECT_EQ(d.classes[1].fraction, 0.25);
  EXPECT_EQ(d.classes[1].activation_shift_ev, 0.1);
  EXPECT_EQ(d.classes[1].attempt_frequency_scale, 0.5);
  std::vector<double> class_landscape(40, 0.0);
  for (int i = 10; i <= 19; ++i) class_landscape[i] = 0.2;
  EXPECT_EQ(d.classes[1].site_energy_ev, class_landscape);

  EXPECT_EQ(d.ion_density_m3, 1e24);
  EXPECT_EQ(d.rel_permittivity, 4.5);
  EXPECT_TRUE(d.field_per_class);
  EXPECT_EQ(c.sim.field_every, 3);

  EXPECT_EQ(d.readout.source, kmc::readout_source::f_left);
  EXPECT_EQ(d.readout.g0_s, 2e-6);
  EXPECT_EQ(d.readout.g1_s, 5e-5);
  EXPECT_EQ(d.readout.g_min_s, 1e-8);
  EXPECT_EQ(d.readout.g_max_s, 1e-2);
}

TEST(Config, EveryRunKeyReachesTheStructsOverTheMaterial) {
  const auto c = load_run_config(fixture("full.toml"));
  const auto& d = c.device;
  // From the run file.
  EXPECT_EQ(d.sites, 10);
  EXPECT_EQ(d.rails, 200);
  EXPECT_EQ(d.temperature_k, 295.5);
  EXPECT_EQ(d.zones, 5);
  EXPECT_EQ(d.site_energy_ev, (std::vector<double>{0.0, 0.1, -0.2, 0.3, 0.0, 0.0, 0.05, -0.05, 0.5, 1e-2}));
  EXPECT_EQ(d.initial_profile, (std::vector<double>{1, 0, 2, 1, 1, 1, 1, 1, 1, 1}));
  ASSERT_EQ(d.species.size(), 1u);  // the run file's [[species]] replace the material's
  EXPECT_EQ(d.species[0].name, "Ag");
  EXPECT_EQ(d.species[0].charge, 2);
  EXPECT_EQ(d.species[0].activation_energy_ev, 0.5);
  EXPECT_EQ(d.species[0].attempt_frequency_hz, 5e12);
  EXPECT_EQ(d.species[0].fill, 0.3);
  ASSERT_EQ(d.classes.size(), 1u);
  EXPECT_EQ(d.classes[0].name, "only");
  EXPECT_EQ(d.classes[0].fraction, 1.0);
  EXPECT_EQ(d.classes[0].activation_shift_ev, 0.02);
  EXPECT_EQ(d.classes[0].attempt_frequency_scale, 1.5);
  EXPECT_EQ(d.classes[0].site_energy_ev, std::vector<double>(10, 0.01));
  EXPECT_EQ(d.rel_permittivity, 3.5);
  EXPECT_EQ(d.readout.g0_s, 3e-6);
  // Kept from the material, key by key.
  EXPECT_EQ(d.thickness_nm, 80.0);
  EXPECT_EQ(d.area_um2, 2.5);
  EXPECT_EQ(d.rails_per_area_m2, 1e15);
  EXPECT_EQ(d.ion_density_m3, 1e24);
  EXPECT_TRUE(d.field_per_class);
  EXPECT_EQ(c.sim.field_every, 3);
  EXPECT_EQ(d.readout.source, kmc::readout_source::f_left);
  EXPECT_EQ(d.readout.g1_s, 5e-5);
  // [sim], [protocol], [output]
  EXPECT_EQ(c.sim.solver, kmc::method::bkl);
  EXPECT_EQ(c.sim.dt_s, 1e-6);
  EXPECT_EQ(c.sim.p_max, 0.25);
  EXPECT_EQ(c.sim.seed, 12345678901u);
  EXPECT_EQ(c.sim.threads, 4);
  EXPECT_EQ(c.backend, "auto");
  EXPECT_EQ(c.protocol.kind, kmc::protocol_kind::relax);
  EXPECT_EQ(c.protocol.sample_every_s, 0.05);
  EXPECT_EQ(c.protocol.profile_times_s, (std::vector<double>{0, 1, 2.5}));
  EXPECT_EQ(c.temperatures_k, (std::vector<double>{280, 300, 320.5}));
  EXPECT_EQ(c.protocol.relax.voltage_v, 7.5);
  EXPECT_EQ(c.protocol.relax.pulse_s, 2.0);
  EXPECT_EQ(c.protocol.relax.relax_s, 30.0);
  EXPECT_EQ(c.title, "Full run");
  EXPECT_FALSE(c.plots);
  EXPECT_EQ(c.path, fixture("full.toml"));
}

TEST(Config, SweepKeys) {
  const auto c = load_run_config(fixture("sweep.toml"));
  EXPECT_EQ(c.protocol.kind, kmc::protocol_kind::sweep);
  EXPECT_EQ(c.protocol.sweep.v_max_v, 2.5);
  EXPECT_EQ(c.protocol.sweep.rate_v_per_s, 0.2);
  EXPECT_EQ(c.protocol.sweep.cycles, 3);
}

TEST(Config, PulsesKeys) {
  const auto c = load_run_config(fixture("pulses.toml"));
  const auto& q = c.protocol.pulses;
  EXPECT_EQ(c.protocol.kind, kmc::protocol_kind::pulses);
  EXPECT_EQ(q.n_pot, 5);
  EXPECT_EQ(q.n_dep, 7);
  EXPECT_EQ(q.v_pot_v, 3.5);
  EXPECT_EQ(q.v_dep_v, -2.5);
  EXPECT_EQ(q.width_s, 0.1);
  EXPECT_EQ(q.gap_s, 0.4);
  EXPECT_EQ(q.read_v, 0.2);
}

TEST(Config, WaveformCsvIsResolvedRelativeToTheFileThatNamedIt) {
  const auto c = load_run_config(fixture("waveform.toml"));
  EXPECT_EQ(c.protocol.kind, kmc::protocol_kind::waveform);
  EXPECT_EQ(c.protocol.waveform_csv, (fixtures / "waveforms/triangle.csv").lexically_normal().string());
  EXPECT_EQ(kmc::read_waveform_csv(c.protocol.waveform_csv)->end_time_s(), 4.0);
}

TEST(Config, NumbersConvertWhereExact) {
  scratch s;
  const auto c = load_run_config(s.write("run.toml", "[device]\nsites = 20.0\nthickness_nm = 50\nrails = 1e3\n"));
  EXPECT_EQ(c.device.sites, 20);
  EXPECT_EQ(c.device.thickness_nm, 50.0);
  EXPECT_EQ(c.device.rails, 1000);
}

TEST(Config, MaterialIsFoundRelativeToTheRunFileThenTheCurrentDirectory) {
  scratch s;
  s.write("mat/m.toml", "[device]\nsites = 30\n");
  s.write("runs/a.toml", "material = \"../mat/m.toml\"\n");
  EXPECT_EQ(load_run_config(s.path("runs/a.toml")).device.sites, 30);

  // Not next to the run file, but in the current directory.
  s.write("runs/b.toml", "material = \"mat/m.toml\"\n");
  const fs::path before = fs::current_path();
  fs::current_path(s.dir());
  run_config c;
  EXPECT_NO_THROW(c = load_run_config((s.dir() / "runs/b.toml").string()));
  fs::current_path(before);
  EXPECT_EQ(c.device.sites, 30);
  EXPECT_EQ(c.material_path, "mat/m.toml");
}

// ---------------------------------------------------------------- override order

TEST(Config, RunFileOverridesMaterialAndSetOverridesBoth) {
  scratch s;
  s.write("materials/m.toml", "[device]\nsites = 50\nrails = 100\n[field]\nion_density_m3 = 1e22\n");
  const auto run = s.write("run.toml", "material = \"materials/m.toml\"\n[device]\nsites = 80\n");
  auto c = load_run_config(run);
  EXPECT_EQ(c.device.sites, 80);
  EXPECT_EQ(c.device.rails, 100);
  EXPECT_EQ(c.device.ion_density_m3, 1e22);
  c = load_run_config(run, {"device.sites=90", "field.ion_density_m3=0"});
  EXPECT_EQ(c.device.sites, 90);
  EXPECT_EQ(c.device.ion_density_m3, 0.0);
  c = load_run_config(run, {"device.sites=90", "device.sites=70"});  // the last --set wins
  EXPECT_EQ(c.device.sites, 70);
}

TEST(Config, RunFileArrayOfTablesReplacesTheMaterialsWholeArray) {
  scratch s;
  s.write("m.toml", "[[species]]\nname = \"a\"\nfill = 0.1\n[[species]]\nname = \"b\"\nfill = 0.1\n");
  const auto c = load_run_config(s.write("run.toml", "material = \"m.toml\"\n[[species]]\nname = \"c\"\n"));
  ASSERT_EQ(c.device.species.size(), 1u);
  EXPECT_EQ(c.device.species[0].name, "c");
  EXPECT_EQ(c.device.species[0].fill, kmc::species_params{}.fill);  // defaults, not the material's
}

TEST(Config, RunFileLandscapeReplacesTheMaterialsOtherSpelling) {
  scratch s;
  s.write("m.toml", "[device]\nsites = 4\nzones = 2\nsite_energy_csv = \"e.csv\"\n");
  s.write("e.csv", "1\n2\n3\n4\n");
  const auto run = s.write("run.toml",
                           "material = \"m.toml\"\n[[device.site_energy]]\nfirst_site = 1\nlast_site = 2\nenergy_ev = 0.5\n");
  EXPECT_EQ(load_run_config(run).device.site_energy_ev, (std::vector<double>{0, 0.5, 0.5, 0}));
  // An empty CSV name means a flat landscape.
  EXPECT_TRUE(load_run_config(run, {"device.site_energy_csv=\"\""}).device.site_energy_ev.empty());
  EXPECT_EQ(load_run_config(s.write("run2.toml", "material = \"m.toml\"\n")).device.site_energy_ev,
            (std::vector<double>{1, 2, 3, 4}));
}

// ---------------------------------------------------------------- --set

TEST(Config, SetAcceptsTomlValuesAndBareWords) {
  scratch s;
  const auto run = s.write("run.toml", "[[species]]\nname = \"a\"\nfill = 0.1\n[[species]]\nname = \"b\"\nfill = 0.1\n");
  const auto c = load_run_config(run, {"device.rails=500", "sim.method=bkl", "sim.backend=\"cuda\"",
                                       "protocol.profile_times_s=[1, 2.5]", "field.per_class=true",
                                       " species[1].fill = 0.2 ", "output.title=A long title", "sim.seed=7"});
  EXPECT_EQ(c.device.rails, 500);
  EXPECT_EQ(c.sim.solver, kmc::method::bkl);
  EXPECT_EQ(c.backend, "cuda");
  EXPECT_EQ(c.protocol.profile_times_s, (std::vector<double>{1, 2.5}));
  EXPECT_TRUE(c.device.field_per_class);
  EXPECT_EQ(c.device.species[1].fill, 0.2);
  EXPECT_EQ(c.device.species[0].fill, 0.1);
  EXPECT_EQ(c.title, "A long title");
  EXPECT_EQ(c.sim.seed, 7u);
  // A whole protocol from nothing, and a material named on the command line.
  s.write("m.toml", "[device]\nsites = 12\n");
  const auto d = load_run_config(s.write("empty.toml", ""), {"protocol.kind=sweep", "protocol.cycles=2", "material=" + s.path("m.toml")});
  EXPECT_EQ(d.protocol.kind, kmc::protocol_kind::sweep);
  EXPECT_EQ(d.protocol.sweep.cycles, 2);
  EXPECT_EQ(d.device.sites, 12);
  // species[0] where no file has [[species]]; species[2] of two appends a third.
  const auto e = load_run_config(s.path("empty.toml"), {"species[0].name=Li", "species[0].fill=0.1"});
  ASSERT_EQ(e.device.species.size(), 1u);
  EXPECT_EQ(e.device.species[0].name, "Li");
  EXPECT_EQ(e.device.species[0].fill, 0.1);
  const auto f = load_run_config(run, {"species[2].name=c", "species[2].fill=0.05", "species[2].charge=-2"});
  ASSERT_EQ(f.device.species.size(), 3u);
  EXPECT_EQ(f.device.species[2].charge, -2);
  EXPECT_EQ(f.device.species[2].fill, 0.05);
  const auto g = load_run_config(run, {"species[1]={name = \"z\", fill = 0.3}"});
  EXPECT_EQ(g.device.species[1].name, "z");
  EXPECT_EQ(g.device.species[1].fill, 0.3);
  EXPECT_EQ(g.device.species[1].charge, kmc::species_params{}.charge);
  EXPECT_EQ(load_run_config(run, {"protocol.profile_times_s[0]=1.5"}).protocol.profile_times_s,
            std::vector<double>{1.5});
}

TEST(ConfigErrors, BadSetSyntax) {
  scratch s;
  const auto run = s.write("run.toml", "[[species]]\nname = \"a\"\n");
  EXPECT_EQ(error_of(run, {"device.rails"}), "--set device.rails: expected key=value");
  EXPECT_TRUE(has(error_of(run, {"=5"}), "--set =5: expected key=value"));
  EXPECT_TRUE(has(error_of(run, {"device..rails=5"}), "--set device..rails=5: 'device..rails' is not a dotted key"));
  EXPECT_TRUE(has(error_of(run, {"species.fill=0.2"}),
                  "--set species.fill=0.2: species is an array of tables; name an entry, e.g. species[0].fill"));
  EXPECT_TRUE(has(error_of(run, {"species[3].fill=0.2"}), "--set species[3].fill=0.2: species has 1 entries"));
  EXPECT_EQ(error_of(s.write("empty.toml", ""), {"rail_class.fraction=1"}),
            "--set rail_class.fraction=1: rail_class is an array of tables; name an entry, e.g. rail_class[0].fraction");
  EXPECT_EQ(error_of(run, {"protocol.profile_times_s[1]=1"}),
            "--set protocol.profile_times_s[1]=1: protocol.profile_times_s has 0 entries (indices from 0)");
  EXPECT_EQ(error_of(run, {"species[0].name[0]=1"}),
            "--set species[0].name[0]=1: species[0].name = \"a\" is not an array");
  EXPECT_TRUE(has(error_of(run, {"sim.method=[1,"}), "--set sim.method=[1,: not a TOML value"));
  const auto run2 = s.write("run2.toml", "[device]\nsites = 10\n");
  EXPECT_EQ(error_of(run2, {"device.sites.x=1"}), "--set device.sites.x=1: device.sites = 10 is not a table");
}

// ---------------------------------------------------------------- unknown keys

TEST(ConfigErrors, UnknownKeySuggestsTheClosest) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_in(s, "[device]\nsite = 100\n"), run + ":2: device.site = 100: unknown key, did you mean 'sites'?");
  EXPECT_EQ(error_in(s, "[device]\nthickness = 100\n"),
            run + ":2: device.thickness = 100: unknown key, did you mean 'thickness_nm'?");
  EXPECT_EQ(error_in(s, "[devcie]\nsites = 100\n"), run + ":1: devcie: unknown section, did you mean 'device'?");
  EXPECT_EQ(error_in(s, "[device]\nion_density_m3 = 1e24\n"),
            run + ":2: device.ion_density_m3 = 1e+24: unknown key, did you mean 'field.ion_density_m3'?");
  EXPECT_EQ(error_in(s, "sites = 10\n"), run + ":1: sites = 10: unknown key, did you mean 'device.sites'?");
  EXPECT_EQ(error_in(s, "[device]\nfield_per_class = true\n"),
            run + ":2: device.field_per_class = true: unknown key, did you mean 'field.per_class'?");
  EXPECT_EQ(error_in(s, "[[species]]\nname = \"a\"\n[[species]]\nnmae = \"b\"\n"),
            run + ":4: species[1].nmae = \"b\": unknown key, did you mean 'name'?");
  EXPECT_EQ(error_in(s, "[[device.site_energy]]\nfirst_site = 0\nlast = 1\nenergy_ev = 0\n"),
            run + ":3: device.site_energy[0].last = 1: unknown key, did you mean 'last_site'?");
  const auto far = error_in(s, "[sim]\nwibble = 1\n");
  EXPECT_TRUE(has(far, run + ":2: sim.wibble = 1: unknown key; valid keys: method, dt_s, p_max, dt_max_s, rate_change_max, seed, threads, backend"));
}

TEST(ConfigErrors, ProtocolKeysOfAnotherKind) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_in(s, "[protocol]\nkind = \"relax\"\nrate_v_per_s = 0.5\n"),
            run + ":3: protocol.rate_v_per_s is a sweep key but protocol.kind = \"relax\"");
  EXPECT_EQ(error_in(s, "[protocol]\nn_pot = 5\n"),
            run + ":2: protocol.n_pot is a pulses key but protocol.kind = \"relax\" (the default)");
  EXPECT_EQ(error_of(fixture("sweep.toml"), {"protocol.kind=relax"}),
            fixture("sweep.toml") + ":5: protocol.cycles is a sweep key but protocol.kind = \"relax\" (from --set)");
}

// ---------------------------------------------------------------- types

TEST(ConfigErrors, WrongTypes) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_in(s, "[device]\nsites = \"100\"\n"), run + ":2: device.sites = \"100\": expected an integer");
  EXPECT_EQ(error_in(s, "[device]\nsites = 1.5\n"), run + ":2: device.sites = 1.5: expected an integer");
  EXPECT_EQ(error_in(s, "[device]\nrails = 3e10\n"),
            run + ":2: device.rails = 3e+10: expected an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(error_in(s, "[device]\nthickness_nm = \"thin\"\n"),
            run + ":2: device.thickness_nm = \"thin\": expected a number");
  EXPECT_EQ(error_in(s, "[field]\nper_class = 1\n"), run + ":2: field.per_class = 1: expected a boolean (true or false)");
  EXPECT_EQ(error_in(s, "[output]\nplots = \"yes\"\n"),
            run + ":2: output.plots = \"yes\": expected a boolean (true or false)");
  EXPECT_EQ(error_in(s, "[output]\ntitle = 3\n"), run + ":2: output.title = 3: expected a string");
  EXPECT_EQ(error_in(s, "[[species]]\nname = 5\n"), run + ":2: species[0].name = 5: expected a string");
  // A newline in a title once ended gnuplot's string, and the plots with it.
  EXPECT_EQ(error_in(s, "[output]\ntitle = \"two\\nlines\"\n"),
            run + ":2: output.title = \"two\\nlines\": expected a string without control characters (found byte 10)");
  EXPECT_EQ(error_in(s, "[sim]\nseed = -1\n"), run + ":2: sim.seed = -1: expected an integer >= 0");
  EXPECT_EQ(error_in(s, "[sim]\nmethod = \"bkk\"\n"),
            run + ":2: sim.method = \"bkk\": expected one of \"sync\", \"bkl\", did you mean \"bkl\"?");
  EXPECT_EQ(error_in(s, "[sim]\nbackend = \"gpu\"\n"),
            run + ":2: sim.backend = \"gpu\": expected one of \"cpu\", \"cuda\", \"auto\", did you mean \"cuda\"?");
  EXPECT_EQ(error_in(s, "[readout]\nsource = \"right\"\n"),
            run + ":2: readout.source = \"right\": expected one of \"f_right\", \"f_left\"");
  EXPECT_EQ(error_in(s, "[protocol]\nkind = \"ramp\"\n"),
            run + ":2: protocol.kind = \"ramp\": expected one of \"relax\", \"sweep\", \"pulses\", \"waveform\"");
  EXPECT_EQ(error_in(s, "[protocol]\nprofile_times_s = 1\n"),
            run + ":2: protocol.profile_times_s = 1: expected an array of numbers");
  EXPECT_EQ(error_in(s, "[protocol]\ntemperatures_k = [300, \"hot\"]\n"),
            run + ":2: protocol.temperatures_k[1] = \"hot\": expected a number");
  EXPECT_EQ(error_in(s, "[species]\nname = \"a\"\n"),
            run + ":1: species = {name = \"a\"}: expected an array of tables: write [[species]]");
  EXPECT_EQ(error_in(s, "device = 5\n"), run + ":1: device = 5: expected a table ([device])");
  EXPECT_EQ(error_in(s, "material = 5\n"), run + ":1: material = 5: expected a string (a material file)");
  EXPECT_EQ(error_in(s, "[sim]\nmethod = \"bkl\"\n", {"sim.threads=two"}),
            "--set: sim.threads = \"two\": expected an integer");
}

// ---------------------------------------------------------------- ranges (kmc::validate)

TEST(ConfigErrors, RangeErrorsNameTheFileThatGaveTheValue) {
  scratch s;
  const auto material = s.write("materials/x.toml", "[device]\nrails = 10\nsites = 0\n");
  const auto run = s.write("run.toml", "material = \"materials/x.toml\"\n");
  EXPECT_EQ(error_of(run), material + ":3: device.sites = 0: must be in [2, 65533]");
  const auto run2 = s.write("run2.toml", "material = \"materials/x.toml\"\n[device]\nsites = 1\n");
  EXPECT_EQ(error_of(run2), run2 + ":3: device.sites = 1: must be in [2, 65533]");
  EXPECT_EQ(error_of(run2, {"device.sites=70000"}), "--set: device.sites = 70000: must be in [2, 65533]");
}

TEST(ConfigErrors, RangeErrorsUseTheTomlKey) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_in(s, "[device]\nthickness_nm = nan\n"), run + ":2: device.thickness_nm = nan: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[device]\ntemperature_k = inf\n"),
            run + ":2: device.temperature_k = inf: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[device]\nrails = -5\n"), run + ":2: device.rails = -5: must be >= 1");
  EXPECT_EQ(error_in(s, "[device]\nzones = 0\n"), run + ":2: device.zones = 0: must be in [1, sites]");
  EXPECT_EQ(error_in(s, "[device]\nsites = 5\n"), run + ":1: device.zones = 10 (default): must be in [1, sites]");
  EXPECT_TRUE(has(error_in(s, "[field]\nion_density_m3 = -1\n"), run + ":2: field.ion_density_m3 = -1: must be in [0, 1e30]"));
  EXPECT_EQ(error_in(s, "[field]\nrel_permittivity = 0\n"), run + ":2: field.rel_permittivity = 0: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[field]\nfield_every = 0\n"), run + ":2: field.field_every = 0: must be >= 1");
  EXPECT_EQ(error_in(s, "[[species]]\nfill = 2\n"), run + ":2: species[0].fill = 2: must be in [0, 1] ions per site");
  EXPECT_EQ(error_in(s, "[[species]]\ncharge = 0\n"),
            run + ":2: species[0].charge = 0: must be a non-zero integer in [-8, 8]");
  EXPECT_TRUE(has(error_in(s, "[[rail_class]]\nfraction = 0.5\n[[rail_class]]\nname = \"b\"\nfraction = 0.4\n"),
                  run + ":1: rail_class fractions (sum) = 0.9: must sum to 1"));
  EXPECT_EQ(error_in(s, "[sim]\np_max = 1.5\n"), run + ":2: sim.p_max = 1.5: must be in (0, 1)");
  EXPECT_TRUE(has(error_in(s, "[sim]\ndt_s = -1\n"), run + ":2: sim.dt_s = -1: must be >= 0"));
  EXPECT_TRUE(has(error_in(s, "[sim]\nthreads = 5000\n"), run + ":2: sim.threads = 5000: must be in [0, 4096]"));
  EXPECT_TRUE(has(error_in(s, "[readout]\ng_min_s = 1e-2\ng_max_s = 1e-3\n"), run + ":3: readout.g_max_s = 0.001: must be in [g_min_s"));
  EXPECT_EQ(error_in(s, "[protocol]\nsample_every_s = 0\n"),
            run + ":2: protocol.sample_every_s = 0: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[protocol]\nkind = \"sweep\"\ncycles = 0\n"),
            run + ":3: protocol.cycles = 0: must be in [1, 100000]");
  EXPECT_TRUE(has(error_in(s, "[protocol]\nkind = \"pulses\"\nn_pot = 0\nn_dep = 0\n"), run + ":3: protocol.n_pot + n_dep = 0"));
  EXPECT_TRUE(has(error_in(s, "[protocol]\nkind = \"waveform\"\n"), run + ":1: protocol.waveform_csv = \"\" (default): must name a CSV file"));
  EXPECT_TRUE(has(error_in(s, "[protocol]\nprofile_times_s = [1, -2]\n"), run + ":2: protocol.profile_times_s = -2:"));
}

TEST(ConfigErrors, TemperaturesMustBeFiniteAndPositive) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_in(s, "[protocol]\ntemperatures_k = [300, -1]\n"),
            run + ":2: protocol.temperatures_k[1] = -1: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[protocol]\ntemperatures_k = [nan]\n"),
            run + ":2: protocol.temperatures_k[0] = nan: must be finite and > 0");
  EXPECT_EQ(error_in(s, "[protocol]\ntemperatures_k = [0]\n"),
            run + ":2: protocol.temperatures_k[0] = 0: must be finite and > 0");
}

TEST(ConfigErrors, Landscapes) {
  scratch s;
  const auto run = s.path("run.toml");
  s.write("e.csv", "0.1\n0.2\nabc\n");
  s.write("short.csv", "0.1, 0.2, 0.3\n");
  EXPECT_EQ(error_in(s, "[device]\nsites = 3\nsite_energy_csv = \"e.csv\"\n"),
            run + ":3: device.site_energy_csv = \"e.csv\": " + s.path("e.csv") + ":3: expected a number, got 'abc'");
  EXPECT_EQ(error_in(s, "[device]\nsites = 4\nsite_energy_csv = \"short.csv\"\n"),
            run + ":3: device.site_energy_csv (entries) = 3: must list one value per site (4)");
  EXPECT_EQ(error_in(s, "[device]\nsites = 4\ninitial_profile_csv = \"short.csv\"\n"),
            run + ":3: device.initial_profile_csv (entries) = 3: must list one value per site (4)");
  EXPECT_TRUE(has(error_in(s, "[device]\nsites = 3\nsite_energy_csv = \"short.csv\"\n"
                              "[[device.site_energy]]\nfirst_site = 0\nlast_site = 1\nenergy_ev = 1\n"),
                  run + ":4: device.site_energy and device.site_energy_csv are mutually exclusive"));
  EXPECT_EQ(error_in(s, "[device]\nsites = 10\n[[device.site_energy]]\nfirst_site = 0\nlast_site = 10\nenergy_ev = 1\n"),
            run + ":5: device.site_energy[0].last_site = 10: must be in [first_site, sites - 1] = [0, 9]");
  EXPECT_EQ(error_in(s, "[device]\nsites = 10\n[[device.site_energy]]\nfirst_site = -1\nlast_site = 1\nenergy_ev = 1\n"),
            run + ":4: device.site_energy[0].first_site = -1: must be in [0, sites - 1] = [0, 9]");
  EXPECT_EQ(error_in(s, "[[device.site_energy]]\nfirst_site = 0\nlast_site = 1\nenergy_ev = nan\n"),
            run + ":4: device.site_energy[0].energy_ev = nan: must be finite");
  EXPECT_TRUE(has(error_in(s, "[[device.site_energy]]\nfirst_site = 0\nlast_site = 1\n"),
                  run + ":1: device.site_energy[0].energy_ev is missing"));
  EXPECT_EQ(error_in(s, "[[rail_class]]\n[[rail_class.site_energy]]\nfirst_site = 5\nlast_site = 2\nenergy_ev = 1\n"),
            run + ":4: rail_class[0].site_energy[0].last_site = 2: must be in [first_site, sites - 1] = [5, 99]");
  s.write("neg.csv", "-1\n1\n1\n");
  EXPECT_EQ(error_in(s, "[device]\nsites = 3\ninitial_profile_csv = \"neg.csv\"\n"),
            run + ":3: device.initial_profile_csv[0] = -1: weights must be >= 0");
}

TEST(ConfigErrors, DuplicateNames) {
  scratch s;
  EXPECT_EQ(error_in(s, "[[species]]\nname = \"Li\"\nfill = 0.1\n[[species]]\nname = \"Li\"\nfill = 0.1\n"),
            s.path("run.toml") + ":5: species[1].name = \"Li\": duplicate of species[0].name; names must be unique");
}

// ---------------------------------------------------------------- files

TEST(ConfigErrors, MissingFilesNameTheFileAndTheKey) {
  scratch s;
  const auto run = s.path("run.toml");
  EXPECT_EQ(error_of(s.path("nope.toml")), s.path("nope.toml") + ": cannot open the run file (no such file)");
  EXPECT_EQ(error_of(s.dir().string()), s.dir().string() + ": cannot open the run file (is a directory)");
  EXPECT_TRUE(has(error_in(s, "material = \"materials/none.toml\"\n"),
                  run + ":1: material = \"materials/none.toml\": cannot open '" + s.path("materials/none.toml") +
                      "' nor 'materials/none.toml'"));
  EXPECT_TRUE(has(error_in(s, "[device]\nsite_energy_csv = \"missing.csv\"\n"),
                  run + ":2: device.site_energy_csv = \"missing.csv\": cannot open '" + s.path("missing.csv") + "'"));
  EXPECT_TRUE(has(error_in(s, "[device]\ninitial_profile_csv = \"missing.csv\"\n"),
                  run + ":2: device.initial_profile_csv = \"missing.csv\": cannot open"));
  EXPECT_TRUE(has(error_in(s, "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"w.csv\"\n"),
                  run + ":3: protocol.waveform_csv = \"w.csv\": cannot open '" + s.path("w.csv") + "'"));
  s.write("bad_wave.csv", "0,0\n1,x\n");
  EXPECT_EQ(error_in(s, "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"bad_wave.csv\"\n"),
            run + ":3: protocol.waveform_csv = \"bad_wave.csv\": " + s.path("bad_wave.csv") +
                ":2: expected 'time_s,volts' numbers, got '1,x'");
  // The columns are read by position: a header naming them the other way
  // round is refused, not read as volts at times.
  // A header after comment lines, behind a UTF-8 byte-order mark (Excel's
  // "CSV UTF-8"), is a header.
  s.write("bom_wave.csv", "\xEF\xBB\xBF# exported\n\ntime_s,volts\n0,0\n1,2\n");
  EXPECT_EQ(kmc::read_waveform_csv(s.path("bom_wave.csv"))->end_time_s(), 1.0);
  s.write("swapped_wave.csv", "volts,time_s\n0,0\n1,2\n");
  EXPECT_TRUE(has(error_in(s, "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"swapped_wave.csv\"\n"),
                  s.path("swapped_wave.csv") + ":1: expected a header naming time then volts"));
  // A CSV named by the material is looked for next to the material.
  s.write("m/mat.toml", "[device]\nsite_energy_csv = \"e.csv\"\n");
  EXPECT_TRUE(has(error_in(s, "material = \"m/mat.toml\"\n"),
                  s.path("m/mat.toml") + ":2: device.site_energy_csv = \"e.csv\": cannot open '" + s.path("m/e.csv") + "'"));
}

TEST(ConfigErrors, SyntaxErrorsGiveLineAndColumn) {
  scratch s;
  const auto e = error_in(s, "[device]\nsites = 10\nrails = \n");
  EXPECT_TRUE(has(e, s.path("run.toml") + ":3:9: ")) << e;
  const auto m = s.write("m.toml", "[device]\nsites = = 3\n");
  const auto e2 = error_in(s, "material = \"m.toml\"\n");
  EXPECT_TRUE(has(e2, m + ":2:")) << e2;
  EXPECT_TRUE(has(error_in(s, "[device]\nsites = 1\nsites = 2\n"), s.path("run.toml") + ":3:"));
}

TEST(ConfigErrors, MaterialFilesHoldOnlyTheDevice) {
  scratch s;
  const auto m = s.write("m.toml", "[device]\nsites = 10\n[sim]\nseed = 3\n");
  EXPECT_EQ(error_in(s, "material = \"m.toml\"\n"),
            m + ":3: sim: a material file holds only [device], [[species]], [[rail_class]], [field] and [readout]; "
                "put [sim] in the run file");
  const auto m2 = s.write("m2.toml", "material = \"m.toml\"\n");
  EXPECT_EQ(error_in(s, "material = \"m2.toml\"\n"),
            m2 + ":1: material = \"m.toml\": a material file cannot include another material");
  const auto m3 = s.write("m3.toml", "[devcie]\nsites = 10\n");
  EXPECT_EQ(error_in(s, "material = \"m3.toml\"\n"), m3 + ":1: devcie: unknown section, did you mean 'device'?");
}

// ---------------------------------------------------------------- JSON

TEST(Config, ResolvedParametersJsonHoldsEveryKey) {
  const auto c = load_run_config(fixture("full.toml"));
  const std::string json = ionrail::config::resolved_parameters_json(c);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  for (const char* key :
       {"path", "material", "device", "thickness_nm", "sites", "rails", "temperature_k", "zones", "area_um2",
        "rails_per_area_m2", "site_energy_ev", "initial_profile", "species", "name", "charge", "activation_energy_ev",
        "attempt_frequency_hz", "fill", "rail_class", "fraction", "activation_shift_ev", "attempt_frequency_scale",
        "field", "ion_density_m3", "rel_permittivity", "per_class", "field_every", "sim", "method", "dt_s", "p_max",
        "seed", "threads", "backend", "readout", "source", "g0_s", "g1_s", "g_min_s", "g_max_s", "protocol", "kind",
        "sample_every_s", "profile_times_s", "temperatures_k", "voltage_v", "pulse_s", "relax_s", "output", "title",
        "plots"})
    EXPECT_TRUE(has(json, "\"" + std::string(key) + "\" :")) << key;
  EXPECT_TRUE(has(json, "\"Ag\""));
  EXPECT_TRUE(has(json, "\"bkl\""));
  EXPECT_TRUE(has(json, "\"f_left\""));
  EXPECT_TRUE(has(json, "12345678901"));
  EXPECT_TRUE(has(json, "\"Full run\""));
  EXPECT_EQ(json.find("rate_v_per_s"), std::string::npos);  // only the chosen protocol's keys

  const auto w = ionrail::config::resolved_parameters_json(load_run_config(fixture("waveform.toml")));
  EXPECT_TRUE(has(w, "\"waveform_csv\" :"));
  EXPECT_TRUE(has(w, "triangle.csv"));
}

}  // namespace
