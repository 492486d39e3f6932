set encoding utf8
set datafile separator ','
set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'
set grid
set key outside right top
set output 'drift.png'
set title 'Drift per model step at each measured amplitude'
set xlabel 'state s'
set ylabel 'drift per step'
plot 'drift.csv' skip 1 using 1:3 with linespoints pt 7 ps 0.4 title 'rest', 'drift.csv' skip 1 using 1:6 with linespoints pt 7 ps 0.4 title '-8V', 'drift.csv' skip 1 using 1:9 with linespoints pt 7 ps 0.4 title '-7V', 'drift.csv' skip 1 using 1:12 with linespoints pt 7 ps 0.4 title '-6V', 'drift.csv' skip 1 using 1:15 with linespoints pt 7 ps 0.4 title '-5V', 'drift.csv' skip 1 using 1:18 with linespoints pt 7 ps 0.4 title '-4V', 'drift.csv' skip 1 using 1:21 with linespoints pt 7 ps 0.4 title '+4V', 'drift.csv' skip 1 using 1:24 with linespoints pt 7 ps 0.4 title '+5V', 'drift.csv' skip 1 using 1:27 with linespoints pt 7 ps 0.4 title '+6V', 'drift.csv' skip 1 using 1:30 with linespoints pt 7 ps 0.4 title '+7V', 'drift.csv' skip 1 using 1:33 with linespoints pt 7 ps 0.4 title '+8V'
set output 'heldout0.png'
set title 'held out: random amplitudes (held out)'
set xlabel 't (s)'
set ylabel 'G (µS)'
plot 'heldout0.csv' skip 1 using 1:(1e6*($4-2*$5)):(1e6*($4+2*$5)) with filledcurves fs transparent solid 0.25 lc rgb '#c0392b' title 'model ±2 sd', '' skip 1 using 1:($4*1e6) with lines lw 2 lc rgb '#c0392b' title 'model mean', '' skip 1 using 1:($3*1e6) with points pt 7 ps 0.4 lc rgb '#333333' title 'measured'
