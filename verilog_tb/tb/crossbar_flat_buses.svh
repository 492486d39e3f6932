// The body shared by tb_crossbar and bench_crossbar (included inside the
// module, after its ports): the ionrail_crossbar instance u_xbar, with the
// unpacked-array ports of the top turned into the crossbar's flat buses.
  // The crossbar's buses are flat vectors; this top keeps the arrays the
  // C++ benches and the SystemC co-simulation drive.
  logic [ROWS*16-1:0] v_row_flat;
  logic [COLS*16-1:0] v_col_flat;
  logic [COLS*64-1:0] i_col_flat;
  for (genvar r = 0; r < ROWS; ++r) begin : g_row
    assign v_row_flat[r*16+:16] = v_row[r];
  end
  for (genvar c = 0; c < COLS; ++c) begin : g_col
    assign v_col_flat[c*16+:16] = v_col[c];
    assign i_col[c] = i_col_flat[c*64+:64];
  end

  ionrail_crossbar #(
    .ROWS(ROWS), .COLS(COLS), .LANES(LANES),
    .N_S(`IONRAIL_TABLE_N_S), .N_V(`IONRAIL_TABLE_N_V),
    .S_LOG2_STEP(`IONRAIL_TABLE_S_LOG2_STEP), .V_LOG2_STEP(`IONRAIL_TABLE_V_LOG2_STEP),
    .TABLE_DIR(TABLE_DIR), .TABLE_CHECKSUM(`IONRAIL_TABLE_CHECKSUM)
  ) u_xbar (.clk, .rst, .cfg_we, .cfg_row, .cfg_col, .cfg_state, .cfg_fluct, .cfg_gain, .cfg_offset, .cfg_rng,
            .cfg_noise, .start, .op_write, .relax, .v_row(v_row_flat), .v_col(v_col_flat), .busy, .done,
            .i_col(i_col_flat));
