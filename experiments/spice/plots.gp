# Plots of the example netlists' ngspice output (run in the output directory by run.sh).
set encoding utf8
set terminal pngcairo noenhanced size 900,650 font 'DejaVu Sans,11'
set grid

set output 'pulses.png'
set multiplot layout 2,1 title 'One device under the held-out pulse protocol (ngspice)'
set ylabel 'V (V)'
plot 'pulses.dat' every ::1 using 1:2 with lines lw 1 title 'v(a)'
set xlabel 't (s)'
set ylabel 'G (µS)'
plot 'pulses.dat' every ::1 using 1:4 with lines lw 2 title 'ionrail_mem (noise-free)', \
     '' every ::1 using 1:6 with lines lw 1 title 'ionrail_mem_noise'
unset multiplot

set output 'crossbar_read.png'
set terminal pngcairo noenhanced size 900,850 font 'DejaVu Sans,11'
set multiplot layout 3,1 title '4 x 4 1T1R crossbar read by TIAs (ngspice)'
unset xlabel
set key outside right top
set ylabel 'row voltage (V)'
plot for [r=0:3] 'crossbar_read.dat' every ::1 using 1:(column(2+r)) with lines lw 2 title sprintf('row %d', r)
set ylabel 'column current (µA)'
plot for [c=0:3] 'crossbar_read.dat' every ::1 using 1:(1e6*column(6+c)) with lines lw 2 title sprintf('TIA %d', c)
set xlabel 't (s)'
set ylabel 'G (µS)'
set key outside right top maxrows 8
plot for [k=0:15] 'crossbar_read.dat' every ::1 using 1:(column(26+k)) with lines lw 1 title sprintf('cell %d,%d', k/4, k%4)
unset multiplot
set terminal pngcairo noenhanced size 900,650 font 'DejaVu Sans,11'
set key default

set output 'half_select.png'
set multiplot layout 2,1 title 'V/2 half-select write of cell (1,2) on a passive 4 x 4 crossbar (ngspice)'
unset xlabel
set ylabel 'row 1 (V)'
plot 'half_select.dat' every ::1 using 1:2 with lines lw 2 title 'v(r1) (selected row)'
set xlabel 't (s)'
set ylabel 'G (µS)'
set key outside right top
plot 'half_select.dat' every ::1 using 1:3 with lines lw 3 title 'selected (1,2)', \
     '' every ::1 using 1:4 with lines lw 1 title 'half (1,0)', \
     '' every ::1 using 1:5 with lines lw 1 title 'half (1,1)', \
     '' every ::1 using 1:6 with lines lw 1 title 'half (1,3)', \
     '' every ::1 using 1:7 with lines lw 1 dt 2 title 'half (0,2)', \
     '' every ::1 using 1:8 with lines lw 1 dt 2 title 'half (2,2)', \
     '' every ::1 using 1:9 with lines lw 1 dt 2 title 'half (3,2)', \
     '' every ::1 using 1:10 with lines lw 2 dt 3 title 'unselected (0,0)', \
     '' every ::1 using 1:11 with lines lw 2 dt 3 title 'unselected (3,3)'
unset multiplot
