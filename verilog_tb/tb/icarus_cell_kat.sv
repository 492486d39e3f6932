// A second simulator on the same bits: ionrail_cell in Icarus Verilog,
// replaying a cell known-answer file (tests/kat/cell_*.kat, format in
// tests/kat/README.md) as the Verilator bench tb_cell --kat does, in plain
// Verilog file I/O so that no C++ model is involved. Every step compares the
// registers (s, δ, rng) after the step edge and the read-out (G_eff, I) at
// the read voltage with the file; the first difference stops the run with
// $fatal. The table is the one whose table.vh is on the include path, at
// TABLE_DIR (-P icarus_cell_kat.TABLE_DIR="..."); the file's table line must
// name its checksum. -P icarus_cell_kat.SYNC_ROM=1 replays the same file on
// the two-edge cell (tables read through registered ports, as from block
// RAM): the step edge must raise busy and change no register, the next edge,
// with the read voltage already on v, must take the step at the latched one.
//
//   vvp BENCH +kat=tests/kat/cell_noise_on.kat
`include "table.vh"
`include "ionrail_formats.vh"

module icarus_cell_kat;
  parameter TABLE_DIR = "";
  parameter SYNC_ROM = 0;

  logic               clk = 1'b0, rst = 1'b0, step_en = 1'b0, noise_en = 1'b0;
  logic signed [15:0] v = '0;
  logic signed [31:0] gain = '0, g_offset = '0, s_init = '0, fluct_init = '0;
  logic        [31:0] rng_init = '0;
  logic signed [31:0] state, fluct, g_eff;
  logic        [31:0] rng;
  logic signed [63:0] current;
  logic               busy;

  ionrail_cell #(
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM), .SYNC_ROM(SYNC_ROM != 0)
  ) u_cell (
    .clk(clk), .rst(rst), .step_en(step_en), .noise_en(noise_en), .v(v), .gain(gain), .g_offset(g_offset),
    .s_init(s_init), .fluct_init(fluct_init), .rng_init(rng_init), .state(state), .fluct(fluct), .rng(rng),
    .g_eff(g_eff), .current(current), .busy(busy)
  );

  // One rising edge; inputs change only while the clock is low.
  task automatic tick;
    #5 clk = 1'b1;
    #5 clk = 1'b0;
  endtask

  integer fd, line_no, steps, devices, n;
  reg [8*1024-1:0] line;
  reg [8*16-1:0]   word;
  reg [8*32-1:0]   name;
  reg [63:0]       checksum;
  // Every field as int64, the widest raw value in the file (the current).
  longint f1, f2, f3, f4, f5, f6, f7, f8;

  task automatic expect_eq(input string what, input longint got, input longint want);
    if (got != want)
      $fatal(1, "FAIL icarus_cell_kat: line %0d: %s is %0d, the file says %0d (device %0d, step %0d)", line_no, what,
             got, want, devices, steps);
  endtask

  string kat;
  initial begin
    if (!$value$plusargs("kat=%s", kat)) $fatal(1, "icarus_cell_kat: usage: vvp BENCH +kat=FILE");
    fd = $fopen(kat, "r");
    if (fd == 0) $fatal(1, "icarus_cell_kat: cannot open %s", kat);
    line_no = 0;
    steps = 0;
    devices = 0;
    while ($fgets(line, fd) != 0) begin
      line_no = line_no + 1;
      word = "";
      n = $sscanf(line, "%s", word);
      if (n != 1 || word[7:0] == "#" || word[7:0] == "\n") begin
        // a comment or an empty line
      end else if (word == "table") begin
        if ($sscanf(line, "table %s %h", name, checksum) != 2 || line_no != 1 && devices + steps != 0)
          $fatal(1, "icarus_cell_kat: line %0d: a malformed table record", line_no);
        if (checksum != `IONRAIL_TABLE_CHECKSUM)
          $fatal(1, "icarus_cell_kat: %s is for the table with checksum %016h, this bench loads %016h", kat, checksum,
                 `IONRAIL_TABLE_CHECKSUM);
      end else if (word == "device") begin
        if ($sscanf(line, "device %d %d %d %d %d", f1, f2, f3, f4, f5) != 5)
          $fatal(1, "icarus_cell_kat: line %0d: a malformed device record", line_no);
        devices = devices + 1;
        rst = 1'b1;
        step_en = 1'b0;
        s_init = 32'(f1);
        fluct_init = 32'(f2);
        gain = 32'(f3);
        g_offset = 32'(f4);
        rng_init = 32'(f5);
        tick();
        rst = 1'b0;
        #1;
        expect_eq("busy after reset", longint'(busy), 0);
        expect_eq("state after reset", longint'(state), f1);
        expect_eq("fluct after reset", longint'(fluct), f2);
        expect_eq("rng after reset", longint'(rng), f5);
      end else if (word == "step") begin
        if ($sscanf(line, "step %d %d %d %d %d %d %d %d", f1, f2, f3, f4, f5, f6, f7, f8) != 8)
          $fatal(1, "icarus_cell_kat: line %0d: a malformed step record", line_no);
        if (devices == 0) $fatal(1, "icarus_cell_kat: line %0d: a step before any device", line_no);
        // The step at v ...
        step_en = 1'b1;
        noise_en = f2 != 0;
        v = 16'(f1);
        tick();
        #1;
        if (SYNC_ROM != 0) begin
          // First edge: the corners and the inputs latched, no register
          // changed. The second edge sees other inputs (read voltage, noise
          // flipped, step_en low), which must not matter.
          expect_eq("busy after the first step edge", longint'(busy), 1);
          step_en = 1'b0;
          noise_en = f2 == 0;
          v = 16'(f3);
          tick();
          #1;
        end
        expect_eq("busy after the step", longint'(busy), 0);
        expect_eq("state", longint'(state), f4);
        expect_eq("fluct", longint'(fluct), f5);
        expect_eq("rng", longint'(rng), f6);
        // ... then the read-out at v_read, combinational, without a step.
        step_en = 1'b0;
        v = 16'(f3);
        #1;
        expect_eq("g_eff", longint'(g_eff), f7);
        expect_eq("current", longint'(current), f8);
        steps = steps + 1;
      end else begin
        $fatal(1, "icarus_cell_kat: line %0d: unknown record '%0s'", line_no, word);
      end
    end
    $fclose(fd);
    // An empty or truncated file must not pass.
    if (steps == 0) $fatal(1, "icarus_cell_kat: %s holds no step records", kat);
    $display("PASS icarus_cell_kat: %0d devices, %0d known-answer steps of %0s (state, fluct, rng, g_eff, current each)",
             devices, steps, kat);
    $finish;
  end
endmodule
