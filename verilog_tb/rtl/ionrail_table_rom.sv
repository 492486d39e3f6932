// The ROMs of one response table (format version 2), loaded with $readmemh
// from the files `ionrail calibrate` writes into TABLE_DIR: table.hex (drift),
// table_noise.hex, table_fluct.hex (n_s·n_v words each, s-major), table_g.hex
// (n_s words), table_coeff.hex (ρ, √(1 − ρ²)). The grid parameters and the
// checksum come from TABLE_DIR/table.vh (docs/rtl.md).
//
// PORTS read ports: a step port gives the four corners of the drift, noise
// and fluctuation tables around a flat index, a conductance port the two
// entries g[i], g[i+1]. In hardware each port is a copy of the ROM (or a
// multi-ported memory): the cell has one, the crossbar one per datapath.
// The conductance ports and ρ, κ are always combinational (the read-out is
// combinational from the registers; the g table is n_s words). The step
// ports are combinational with SYNC_STEP = 0 (an asynchronous ROM, which
// synthesis builds from LUTs) and registered with SYNC_STEP = 1: the corners
// of the address presented before a rising edge with step_rd = 1 appear
// after it and hold until the next such edge. That is a block RAM's read
// (iCE40 SB_RAM40_4K), so yosys maps the three step tables to block RAM.
//
// Loading fails loudly: a missing file, a table written for another format
// version or grid, or any entry that differs from what table.vh's checksum
// covers stops the simulation with $fatal (Verilator alone would only warn
// about a missing $readmemh file and run on a ROM of zeros).
//
// Simulation only, when compiled with IONRAIL_TABLE_PLUSARGS defined: the
// plusargs +ionrail_table_dir=DIR and +ionrail_table_checksum=HEX (both
// together) load another directory of the same grid instead of TABLE_DIR,
// checked against that checksum (its table.vh's); verilog_tb's tb_cell is
// built so and `tb_cell --model DIR` passes them. (Verilated code that reads
// plusargs needs Verilated::commandArgs, hence opt-in.) Synthesis always
// reads TABLE_DIR.
`include "ionrail_formats.vh"

module ionrail_table_rom #(
  parameter int          N_S = 3,
  parameter int          N_V = 3,
  /* verilator lint_off UNUSEDPARAM */  // the grid exponents and checksum feed only the simulation load check
  parameter int          S_LOG2_STEP = 1,
  parameter int          V_LOG2_STEP = 0,
  parameter              TABLE_DIR = "",         // absolute path of the table directory: a string, untyped
                                                 // (yosys 0.23 and Icarus 11 have no `parameter string`)
  parameter logic [63:0] TABLE_CHECKSUM = 64'd0, // `IONRAIL_TABLE_CHECKSUM of table.vh
  /* verilator lint_on UNUSEDPARAM */
  parameter int          PORTS = 1,
  parameter bit          SYNC_STEP = 1'b0        // 1: the step ports are registered (block RAM)
) (
  // Used with SYNC_STEP = 1 only.
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic                             clk,
  input  logic                             step_rd,    // register the step ports' corners at this edge
  /* verilator lint_on UNUSEDSIGNAL */
  // Port p's fields are slices [p] of flat vectors (ports are packed, not
  // unpacked arrays, which yosys 0.23 and Icarus 11 refuse as ports): an
  // address [p·AW +: AW], corner k of port p [(4·p + k)·32 +: 32], a
  // conductance entry [p·32 +: 32].
  input  logic [PORTS*$clog2(N_S*N_V)-1:0] step_addr,  // i·n_v + j, i <= n_s − 2, j <= n_v − 2
  output logic [PORTS*4*32-1:0]            drift_c,
  output logic [PORTS*4*32-1:0]            noise_c,
  output logic [PORTS*4*32-1:0]            fluct_c,
  input  logic [PORTS*$clog2(N_S)-1:0]     g_addr,     // i <= n_s − 2
  output logic [PORTS*32-1:0]              g_lo,
  output logic [PORTS*32-1:0]              g_hi,
  output logic signed [31:0]               rho,
  output logic signed [31:0]               kick
);
  localparam int CELLS = N_S * N_V;
  localparam int AW = $clog2(CELLS);
  localparam int IW = $clog2(N_S);

  // rom_style (yosys, Vivado): block RAM when the reads are registered. yosys
  // would otherwise build a small table from LUTs, which its cost model
  // prefers below a few hundred words; "auto" leaves the choice to the tool.
  (* rom_style = SYNC_STEP ? "block" : "auto" *) logic signed [31:0] drift_rom [CELLS];
  (* rom_style = SYNC_STEP ? "block" : "auto" *) logic signed [31:0] noise_rom [CELLS];
  (* rom_style = SYNC_STEP ? "block" : "auto" *) logic signed [31:0] fluct_rom [CELLS];
  logic signed [31:0] g_rom [N_S];
  logic signed [31:0] coeff_rom [2];

  // The step corners of every port, combinational; with SYNC_STEP = 1 the
  // registers below sample them, so that the ROM read and its output
  // register form one synchronous memory read.
  logic [PORTS*4*32-1:0] drift_a, noise_a, fluct_a;

  // One loop over the ports (in simulation one loop, not PORTS copies).
  always_comb begin : read_ports
    logic [AW-1:0] a;
    logic [IW-1:0] i;
    for (int p = 0; p < PORTS; p = p + 1) begin
      a = step_addr[p*AW+:AW];
      i = g_addr[p*IW+:IW];
      drift_a[(4*p+0)*32+:32] = drift_rom[a];
      drift_a[(4*p+1)*32+:32] = drift_rom[a + AW'(1)];
      drift_a[(4*p+2)*32+:32] = drift_rom[a + AW'(N_V)];
      drift_a[(4*p+3)*32+:32] = drift_rom[a + AW'(N_V + 1)];
      noise_a[(4*p+0)*32+:32] = noise_rom[a];
      noise_a[(4*p+1)*32+:32] = noise_rom[a + AW'(1)];
      noise_a[(4*p+2)*32+:32] = noise_rom[a + AW'(N_V)];
      noise_a[(4*p+3)*32+:32] = noise_rom[a + AW'(N_V + 1)];
      fluct_a[(4*p+0)*32+:32] = fluct_rom[a];
      fluct_a[(4*p+1)*32+:32] = fluct_rom[a + AW'(1)];
      fluct_a[(4*p+2)*32+:32] = fluct_rom[a + AW'(N_V)];
      fluct_a[(4*p+3)*32+:32] = fluct_rom[a + AW'(N_V + 1)];
      g_lo[p*32+:32] = g_rom[i];
      g_hi[p*32+:32] = g_rom[i + IW'(1)];
    end
    // Here rather than in continuous assigns, which Icarus 11 leaves at x
    // for a word that $readmemh loads.
    rho = coeff_rom[0];
    kick = coeff_rom[1];
  end

  generate
    if (SYNC_STEP) begin : g_sync
      always_ff @(posedge clk)
        if (step_rd) begin
          drift_c <= drift_a;
          noise_c <= noise_a;
          fluct_c <= fluct_a;
        end
    end else begin : g_async
      always_comb begin
        drift_c = drift_a;
        noise_c = noise_a;
        fluct_c = fluct_a;
      end
    end
  endgenerate

  // ---- Load and check ----------------------------------------------------
  // $readmemh is the ROM contents for synthesis too (FPGA tools take it from
  // an initial block); the checks around it are simulation only.
`ifndef SYNTHESIS
  // FNV-1a 64 over 32-bit words fed as 4 bytes little-endian (table_view.hpp).
  function automatic logic [63:0] fnv_word(logic [63:0] h, logic [31:0] w);
    logic [63:0] x;
    x = h;
    for (int b = 0; b < 4; ++b) x = (x ^ {56'd0, w[8*b+:8]}) * `IONRAIL_FNV1A64_PRIME;
    return x;
  endfunction

  // The directory and checksum loaded: the parameters, or the plusargs.
  string       dir;
  logic [63:0] checksum;

  task automatic require_file(string name);
    int fd;
    fd = $fopen({dir, "/", name}, "r");
    if (fd == 0) $fatal(1, "ionrail_table_rom: cannot open %s/%s (TABLE_DIR must be the absolute path of a table directory)",
                        dir, name);
    $fclose(fd);
  endtask
`endif

  initial begin : load
`ifndef SYNTHESIS
    logic [63:0] h;
`ifdef IONRAIL_TABLE_PLUSARGS
    logic got_dir, got_checksum;
`endif
    dir = TABLE_DIR;
    checksum = TABLE_CHECKSUM;
`ifdef IONRAIL_TABLE_PLUSARGS
    got_dir = $value$plusargs("ionrail_table_dir=%s", dir) != 0;
    got_checksum = $value$plusargs("ionrail_table_checksum=%h", checksum) != 0;
    if (got_dir != got_checksum)
      $fatal(1, "ionrail_table_rom: +ionrail_table_dir and +ionrail_table_checksum go together");
`endif
    if (dir == "") $fatal(1, "ionrail_table_rom: parameter TABLE_DIR is not set");
    if (N_S != (1 << S_LOG2_STEP) + 1 || N_V < 3 || N_V % 2 == 0 ||
        S_LOG2_STEP < `IONRAIL_S_LOG2_STEP_MIN || S_LOG2_STEP > `IONRAIL_S_LOG2_STEP_MAX ||
        V_LOG2_STEP < 0 || V_LOG2_STEP > `IONRAIL_V_LOG2_STEP_MAX ||
        ((N_V - 1) / 2) << V_LOG2_STEP > `IONRAIL_V_HALF_SPAN_MAX)
      $fatal(1, "ionrail_table_rom: invalid grid n_s=%0d n_v=%0d k=%0d m=%0d", N_S, N_V, S_LOG2_STEP, V_LOG2_STEP);
    require_file("table.hex");
    require_file("table_noise.hex");
    require_file("table_fluct.hex");
    require_file("table_g.hex");
    require_file("table_coeff.hex");
    // A short file leaves the rest of the ROM at this pattern, which the
    // checksum below then rejects.
    for (int k = 0; k < CELLS; ++k) begin
      drift_rom[k] = 32'hdeadbeef;
      noise_rom[k] = 32'hdeadbeef;
      fluct_rom[k] = 32'hdeadbeef;
    end
    for (int k = 0; k < N_S; ++k) g_rom[k] = 32'hdeadbeef;
    coeff_rom[0] = 32'hdeadbeef;
    coeff_rom[1] = 32'hdeadbeef;
`endif
`ifdef SYNTHESIS
    $readmemh({TABLE_DIR, "/table.hex"}, drift_rom, 0, CELLS - 1);
    $readmemh({TABLE_DIR, "/table_noise.hex"}, noise_rom, 0, CELLS - 1);
    $readmemh({TABLE_DIR, "/table_fluct.hex"}, fluct_rom, 0, CELLS - 1);
    $readmemh({TABLE_DIR, "/table_g.hex"}, g_rom, 0, N_S - 1);
    $readmemh({TABLE_DIR, "/table_coeff.hex"}, coeff_rom, 0, 1);
`else
    $readmemh({dir, "/table.hex"}, drift_rom, 0, CELLS - 1);
    $readmemh({dir, "/table_noise.hex"}, noise_rom, 0, CELLS - 1);
    $readmemh({dir, "/table_fluct.hex"}, fluct_rom, 0, CELLS - 1);
    $readmemh({dir, "/table_g.hex"}, g_rom, 0, N_S - 1);
    $readmemh({dir, "/table_coeff.hex"}, coeff_rom, 0, 1);
    h = `IONRAIL_FNV1A64_BASIS;
    h = fnv_word(h, `IONRAIL_TABLE_FORMAT_VERSION_RTL);
    h = fnv_word(h, `IONRAIL_STATE_F);
    h = fnv_word(h, `IONRAIL_VOLT_F);
    h = fnv_word(h, `IONRAIL_DELTA_F);
    h = fnv_word(h, `IONRAIL_COND_F);
    h = fnv_word(h, N_S);
    h = fnv_word(h, N_V);
    h = fnv_word(h, S_LOG2_STEP);
    h = fnv_word(h, V_LOG2_STEP);
    h = fnv_word(h, coeff_rom[0]);
    h = fnv_word(h, coeff_rom[1]);
    for (int k = 0; k < CELLS; ++k) h = fnv_word(h, drift_rom[k]);
    for (int k = 0; k < CELLS; ++k) h = fnv_word(h, noise_rom[k]);
    for (int k = 0; k < CELLS; ++k) h = fnv_word(h, fluct_rom[k]);
    for (int k = 0; k < N_S; ++k) h = fnv_word(h, g_rom[k]);
    // !==: an x or z digit in a file makes h unknown, and != of an unknown
    // is itself unknown, which an if takes as false (the check passed).
    if (h !== checksum)
      $fatal(1, "ionrail_table_rom: %s: checksum %016h of the loaded files differs from %016h (table.vh): wrong, short or corrupt table files (x or z digits included), or a table of another format version",
             dir, h, checksum);
`endif
  end
endmodule
