;; Dense layers for small MLP rankers in wasm SIMD: y = act(x W^T + b), four outputs per f32x4 lane group.
;;
;; Layout (all float32, little-endian, in this module's memory; the caller places every array):
;;   x  [n][xs]  input rows; only the first k columns are read
;;   wt [k][mp]  W transposed, each row padded with zeros to mp (a multiple of 4) outputs
;;   b  [mp]     bias, zero-padded
;;   y  [n][mp]  output rows; padded columns come out 0 (weights and bias are 0 there); "dot1" writes y [n]
;;
;; Bit-exactness with onnxruntime: each output is sum_k x[k] * w[k] in increasing k, from +0, then + bias, the
;; order of MLAS's Gemm (product sum first, bias after), with a separate multiply and add (wasm SIMD has no fused
;; multiply-add). Speed comes only from doing independent sums side by side, never from reordering one:
;;   - outputs in blocks of 16 (four f32x4), two rows at a time: eight independent sums, one weight load per two;
;;   - the last outputs (fewer than 16) four at a time, eight rows at a time: again eight independent sums;
;;   - "dot1", for a last layer of one output (the score), four rows per f32x4, scores stored contiguously: 81
;;     against 86 µs for the whole 500-candidate call, where the path above spends three lanes of four on padding;
;;   - "plan1", a first layer whose inputs come in runs of three kinds (below), so indicator columns cost one add
;;     per set bit and per-request columns one add each, instead of a multiply and an add for every input;
;;   - no calls inside the row loops: row addresses and the bias-and-ReLU store are written out where they are used.
;;     Node's V8 does not inline wasm calls and workerd's inlines only some; written out, the 500-candidate call
;;     took 56 against 66 µs (planned: 45 against 63), side by side in Node. ReLU is max(., +0), and a layer without
;;     it takes max(., -Inf), which returns every value as it is.
;; "dense" multiplies every input, zeros included, as MLAS does. Skipping inputs that were zero in every row of a group
;; (one-hot features, ReLU outputs) gave the same sums but cost more than it saved: the scan for them took ~14 µs
;; of a 500-candidate call and the skipped products ~3 (104 against 87 µs without it, bench:kernel). Nor did going
;; one row at a time over that row's own nonzero inputs (listed first, branch-free; 44% of the bundled model's
;; feature cells are nonzero): listing them alone took 30 µs of 500 rows, and the first layer 49 against 50.5 µs.
(module
  (memory (export "memory") 1)

  (func (export "dense")
    (param $x i32) (param $n i32) (param $k i32) (param $xs i32)
    (param $wt i32) (param $b i32) (param $mp i32) (param $y i32) (param $relu i32)
    (local $row i32) (local $xbytes i32) (local $ybytes i32) (local $wide i32) (local $last i32)
    (local.set $xbytes (i32.shl (local.get $xs) (i32.const 2)))
    (local.set $ybytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $wide (i32.and (local.get $mp) (i32.const -16)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (if (i32.gt_u (local.get $wide) (i32.const 0))
      (then
        (local.set $row (i32.const 0))
        (block $done
          (loop $rows
            (br_if $done (i32.ge_u (local.get $row) (local.get $n)))
            ;; Rows past the end repeat the last row: computed again and stored again, identically.
            (call $wide2
              (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $y) (i32.mul (local.get $row) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $ybytes)))
              (local.get $k) (local.get $wt) (local.get $b) (local.get $mp) (local.get $wide) (local.get $relu))
            (local.set $row (i32.add (local.get $row) (i32.const 2)))
            (br $rows)))))
    (call $tail (local.get $x) (local.get $n) (local.get $k) (local.get $xs) (local.get $wt) (local.get $b)
      (local.get $mp) (local.get $y) (local.get $relu) (local.get $wide)))

  ;; Outputs [wide, mp) of every row, four at a time, eight rows side by side.
  (func $tail
    (param $x i32) (param $n i32) (param $k i32) (param $xs i32)
    (param $wt i32) (param $b i32) (param $mp i32) (param $y i32) (param $relu i32) (param $wide i32)
    (local $row i32) (local $xbytes i32) (local $ybytes i32) (local $last i32)
    (local.set $xbytes (i32.shl (local.get $xs) (i32.const 2)))
    (local.set $ybytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (if (i32.lt_u (local.get $wide) (local.get $mp))
      (then
        (local.set $row (i32.const 0))
        (block $done8
          (loop $rows8
            (br_if $done8 (i32.ge_u (local.get $row) (local.get $n)))
            (call $narrow8
              (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 2)) (i32.gt_u (i32.add (local.get $row) (i32.const 2)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 3)) (i32.gt_u (i32.add (local.get $row) (i32.const 3)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 4)) (i32.gt_u (i32.add (local.get $row) (i32.const 4)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 5)) (i32.gt_u (i32.add (local.get $row) (i32.const 5)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 6)) (i32.gt_u (i32.add (local.get $row) (i32.const 6)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 7)) (i32.gt_u (i32.add (local.get $row) (i32.const 7)) (local.get $last))) (local.get $xbytes)))
              (i32.add (local.get $y) (i32.mul (local.get $row) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 2)) (i32.gt_u (i32.add (local.get $row) (i32.const 2)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 3)) (i32.gt_u (i32.add (local.get $row) (i32.const 3)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 4)) (i32.gt_u (i32.add (local.get $row) (i32.const 4)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 5)) (i32.gt_u (i32.add (local.get $row) (i32.const 5)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 6)) (i32.gt_u (i32.add (local.get $row) (i32.const 6)) (local.get $last))) (local.get $ybytes)))
              (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 7)) (i32.gt_u (i32.add (local.get $row) (i32.const 7)) (local.get $last))) (local.get $ybytes)))
              (local.get $k) (local.get $wt) (local.get $b) (local.get $mp) (local.get $wide) (local.get $relu))
            (local.set $row (i32.add (local.get $row) (i32.const 8)))
            (br $rows8))))))

  ;; A layer with one output (the score), four rows per f32x4 (lane i holds row r + i), written contiguously: y[r]
  ;; is row r's output, so the caller reads the scores as one run. Each lane sums its row's products in increasing
  ;; k from +0, then adds the bias, as "dense" does. Rows past the end repeat the last row; their lanes are stored
  ;; past y[n - 1], up to three floats the caller leaves room for.
  (func (export "dot1")
    (param $x i32) (param $n i32) (param $k i32) (param $xs i32)
    (param $wt i32) (param $b i32) (param $mp i32) (param $y i32) (param $relu i32)
    (local $row i32) (local $xbytes i32) (local $rowbytes i32) (local $last i32) (local $koff i32) (local $kbytes i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $w i32) (local $acc v128) (local $v v128)
    (local.set $xbytes (i32.shl (local.get $xs) (i32.const 2)))
    (local.set $rowbytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $kbytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (local.set $row (i32.const 0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $xbytes))))
        (local.set $x1 (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $xbytes))))
        (local.set $x2 (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 2)) (i32.gt_u (i32.add (local.get $row) (i32.const 2)) (local.get $last))) (local.get $xbytes))))
        (local.set $x3 (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 3)) (i32.gt_u (i32.add (local.get $row) (i32.const 3)) (local.get $last))) (local.get $xbytes))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $w (local.get $wt))
        (local.set $koff (i32.const 0))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $koff) (local.get $kbytes)))
            (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x0) (local.get $koff)))))
            (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load (i32.add (local.get $x1) (local.get $koff)))))
            (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load (i32.add (local.get $x2) (local.get $koff)))))
            (local.set $v (f32x4.replace_lane 3 (local.get $v) (f32.load (i32.add (local.get $x3) (local.get $koff)))))
            (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (f32x4.splat (f32.load (local.get $w))))))
            (local.set $w (i32.add (local.get $w) (local.get $rowbytes)))
            (local.set $koff (i32.add (local.get $koff) (i32.const 4)))
            (br $ks)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.splat (f32.load (local.get $b)))))
        (if (local.get $relu)
          (then (local.set $acc (f32x4.max (local.get $acc) (v128.const f32x4 0 0 0 0)))))
        (v128.store (i32.add (local.get $y) (i32.shl (local.get $row) (i32.const 2))) (local.get $acc))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (br $rows))))

  ;; Outputs [0, wide) of two rows (x0 -> y0, x1 -> y1), sixteen at a time.
  (func $wide2
    (param $x0 i32) (param $x1 i32) (param $y0 i32) (param $y1 i32)
    (param $k i32) (param $wt i32) (param $b i32) (param $mp i32) (param $wide i32) (param $relu i32)
    (local $mb i32) (local $w i32) (local $koff i32) (local $rowbytes i32) (local $j i32) (local $wb i32)
    (local $u v128) (local $v v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $moff i32) (local $bo i32) (local $floor v128)
    ;; ReLU is max(., +0); without it max(., -Inf), which leaves every value (and NaN) as it is.
    (local.set $floor (select (v128.const f32x4 0 0 0 0) (v128.const f32x4 -inf -inf -inf -inf) (local.get $relu)))
    (local.set $rowbytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $mb (i32.const 0))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $mb) (local.get $wide)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $c0 (v128.const f32x4 0 0 0 0))
        (local.set $c1 (v128.const f32x4 0 0 0 0))
        (local.set $c2 (v128.const f32x4 0 0 0 0))
        (local.set $c3 (v128.const f32x4 0 0 0 0))
        (local.set $wb (i32.add (local.get $wt) (i32.shl (local.get $mb) (i32.const 2))))
        (local.set $j (i32.const 0))
        (local.set $w (local.get $wb))
        (block $d_done
          (loop $ds
            (br_if $d_done (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $koff (i32.shl (local.get $j) (i32.const 2)))
            (local.set $u (f32x4.splat (f32.load (i32.add (local.get $x0) (local.get $koff)))))
            (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x1) (local.get $koff)))))
            (local.set $w0 (v128.load offset=0 (local.get $w)))
            (local.set $w1 (v128.load offset=16 (local.get $w)))
            (local.set $w2 (v128.load offset=32 (local.get $w)))
            (local.set $w3 (v128.load offset=48 (local.get $w)))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $u) (local.get $w0))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $u) (local.get $w1))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $u) (local.get $w2))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $u) (local.get $w3))))
            (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $v) (local.get $w0))))
            (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $v) (local.get $w1))))
            (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $v) (local.get $w2))))
            (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $v) (local.get $w3))))
            (local.set $w (i32.add (local.get $w) (local.get $rowbytes)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $ds)))
        (local.set $moff (i32.shl (local.get $mb) (i32.const 2)))
        (local.set $bo (i32.add (local.get $b) (local.get $moff)))
        (v128.store offset=0 (i32.add (local.get $y0) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=16 (i32.add (local.get $y0) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $bo))) (local.get $floor)))
        (v128.store offset=32 (i32.add (local.get $y0) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $bo))) (local.get $floor)))
        (v128.store offset=48 (i32.add (local.get $y0) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y1) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $c0) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=16 (i32.add (local.get $y1) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $bo))) (local.get $floor)))
        (v128.store offset=32 (i32.add (local.get $y1) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $c2) (v128.load offset=32 (local.get $bo))) (local.get $floor)))
        (v128.store offset=48 (i32.add (local.get $y1) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $c3) (v128.load offset=48 (local.get $bo))) (local.get $floor)))
        (local.set $mb (i32.add (local.get $mb) (i32.const 16)))
        (br $blocks))))

  ;; Outputs [from, mp) of eight rows, four at a time.
  (func $narrow8
    (param $x0 i32) (param $x1 i32) (param $x2 i32) (param $x3 i32) (param $x4 i32) (param $x5 i32) (param $x6 i32) (param $x7 i32)
    (param $y0 i32) (param $y1 i32) (param $y2 i32) (param $y3 i32) (param $y4 i32) (param $y5 i32) (param $y6 i32) (param $y7 i32)
    (param $k i32) (param $wt i32) (param $b i32) (param $mp i32) (param $from i32) (param $relu i32)
    (local $mb i32) (local $koff i32) (local $kbytes i32) (local $rowbytes i32) (local $wb i32) (local $w0 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $moff i32) (local $bo i32) (local $floor v128)
    ;; ReLU is max(., +0); without it max(., -Inf), which leaves every value (and NaN) as it is.
    (local.set $floor (select (v128.const f32x4 0 0 0 0) (v128.const f32x4 -inf -inf -inf -inf) (local.get $relu)))
    (local.set $rowbytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $kbytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $mb (local.get $from))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $mb) (local.get $mp)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $a4 (v128.const f32x4 0 0 0 0))
        (local.set $a5 (v128.const f32x4 0 0 0 0))
        (local.set $a6 (v128.const f32x4 0 0 0 0))
        (local.set $a7 (v128.const f32x4 0 0 0 0))
        (local.set $wb (i32.add (local.get $wt) (i32.shl (local.get $mb) (i32.const 2))))
        (local.set $koff (i32.const 0))
        (block $k_done
          (loop $ks
            (br_if $k_done (i32.ge_u (local.get $koff) (local.get $kbytes)))
            (local.set $w0 (v128.load (local.get $wb)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x0) (local.get $koff)))) (local.get $w0))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x1) (local.get $koff)))) (local.get $w0))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x2) (local.get $koff)))) (local.get $w0))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x3) (local.get $koff)))) (local.get $w0))))
            (local.set $a4 (f32x4.add (local.get $a4)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x4) (local.get $koff)))) (local.get $w0))))
            (local.set $a5 (f32x4.add (local.get $a5)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x5) (local.get $koff)))) (local.get $w0))))
            (local.set $a6 (f32x4.add (local.get $a6)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x6) (local.get $koff)))) (local.get $w0))))
            (local.set $a7 (f32x4.add (local.get $a7)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $x7) (local.get $koff)))) (local.get $w0))))
            (local.set $wb (i32.add (local.get $wb) (local.get $rowbytes)))
            (local.set $koff (i32.add (local.get $koff) (i32.const 4)))
            (br $ks)))
        (local.set $moff (i32.shl (local.get $mb) (i32.const 2)))
        (local.set $bo (i32.add (local.get $b) (local.get $moff)))
        (v128.store offset=0 (i32.add (local.get $y0) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y1) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a1) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y2) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a2) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y3) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a3) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y4) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a4) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y5) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a5) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y6) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a6) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (v128.store offset=0 (i32.add (local.get $y7) (local.get $moff))
          (f32x4.max (f32x4.add (local.get $a7) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
        (local.set $mb (i32.add (local.get $mb) (i32.const 4)))
        (br $blocks))))

  ;; A first layer read through a plan: runs of columns in the layer's input order, each entry four i32s
  ;; (kind, count, w, arg), w the byte address of the run's first row of W^T (or of its product rows):
  ;;   kind 0, per-row values: count columns at byte offset arg of each x row, multiplied and added as "dense" does;
  ;;   kind 1, indicators: bits [arg, arg + count) of the row's mask (masks [n], one i32 per row) say which of the
  ;;     run's columns are 1; each set one adds its W^T row (1 * w is w), the others add nothing (0 * w would add
  ;;     +0 or -0, which leaves a sum that started at +0 as it is, so long as w is finite: the caller checks);
  ;;   kind 2, per-request columns: count rows of products (value * w, rounded as "dense" rounds it, made by the
  ;;     caller once per call) added to every row as they are.
  ;; Every output still sums its terms in the layer's input order from +0, then adds the bias: "dense"'s sum to
  ;; the bit. Two rows at a time, sixteen outputs per block; mp must be a multiple of 16.
  (func (export "plan1")
    (param $x i32) (param $n i32) (param $xs i32) (param $masks i32) (param $plan i32) (param $plen i32)
    (param $b i32) (param $mp i32) (param $y i32) (param $relu i32)
    (local $mb i32) (local $row i32) (local $last i32) (local $xbytes i32) (local $rowbytes i32)
    (local $x0 i32) (local $x1 i32) (local $m0 i32) (local $m1 i32) (local $y0 i32) (local $y1 i32)
    (local $e i32) (local $pend i32) (local $kind i32) (local $count i32) (local $w i32) (local $arg i32)
    (local $j i32) (local $bits i32) (local $wr i32)
    (local $u v128) (local $v v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $moff i32) (local $bo i32) (local $floor v128)
    ;; ReLU is max(., +0); without it max(., -Inf), which leaves every value (and NaN) as it is.
    (local.set $floor (select (v128.const f32x4 0 0 0 0) (v128.const f32x4 -inf -inf -inf -inf) (local.get $relu)))
    (local.set $xbytes (i32.shl (local.get $xs) (i32.const 2)))
    (local.set $rowbytes (i32.shl (local.get $mp) (i32.const 2)))
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (local.set $pend (i32.add (local.get $plan) (i32.shl (local.get $plen) (i32.const 4))))
    (local.set $mb (i32.const 0))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $mb) (local.get $mp)))
        (local.set $row (i32.const 0))
        (block $rows_done
          (loop $rows
            (br_if $rows_done (i32.ge_u (local.get $row) (local.get $n)))
            ;; Rows past the end repeat the last row, as in "dense".
            (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $xbytes))))
            (local.set $x1 (i32.add (local.get $x) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $xbytes))))
            (local.set $m0 (i32.load (i32.add (local.get $masks) (i32.mul (local.get $row) (i32.const 4)))))
            (local.set $m1 (i32.load (i32.add (local.get $masks) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (i32.const 4)))))
            (local.set $a0 (v128.const f32x4 0 0 0 0))
            (local.set $a1 (v128.const f32x4 0 0 0 0))
            (local.set $a2 (v128.const f32x4 0 0 0 0))
            (local.set $a3 (v128.const f32x4 0 0 0 0))
            (local.set $c0 (v128.const f32x4 0 0 0 0))
            (local.set $c1 (v128.const f32x4 0 0 0 0))
            (local.set $c2 (v128.const f32x4 0 0 0 0))
            (local.set $c3 (v128.const f32x4 0 0 0 0))
            (local.set $e (local.get $plan))
            (block $plan_done
              (loop $entries
                (br_if $plan_done (i32.ge_u (local.get $e) (local.get $pend)))
                (local.set $kind (i32.load offset=0 (local.get $e)))
                (local.set $count (i32.load offset=4 (local.get $e)))
                (local.set $w (i32.add (i32.load offset=8 (local.get $e)) (i32.shl (local.get $mb) (i32.const 2))))
                (local.set $arg (i32.load offset=12 (local.get $e)))
                (if (i32.eqz (local.get $kind))
                  (then
                    (local.set $j (i32.const 0))
                    (block $d_done
                      (loop $ds
                        (br_if $d_done (i32.ge_u (local.get $j) (local.get $count)))
                        (local.set $u (f32x4.splat (f32.load (i32.add (local.get $x0) (local.get $arg)))))
                        (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x1) (local.get $arg)))))
                        (local.set $w0 (v128.load offset=0 (local.get $w)))
                        (local.set $w1 (v128.load offset=16 (local.get $w)))
                        (local.set $w2 (v128.load offset=32 (local.get $w)))
                        (local.set $w3 (v128.load offset=48 (local.get $w)))
                        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $u) (local.get $w0))))
                        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $u) (local.get $w1))))
                        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $u) (local.get $w2))))
                        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $u) (local.get $w3))))
                        (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $v) (local.get $w0))))
                        (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $v) (local.get $w1))))
                        (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $v) (local.get $w2))))
                        (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $v) (local.get $w3))))
                        (local.set $w (i32.add (local.get $w) (local.get $rowbytes)))
                        (local.set $arg (i32.add (local.get $arg) (i32.const 4)))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $ds)))))
                (if (i32.eq (local.get $kind) (i32.const 1))
                  (then
                    (local.set $j (i32.sub (i32.shl (i32.const 1) (local.get $count)) (i32.const 1)))
                    ;; Row 0's set bits, lowest (earliest column) first.
                    (local.set $bits (i32.and (i32.shr_u (local.get $m0) (local.get $arg)) (local.get $j)))
                    (block $b0_done
                      (loop $b0s
                        (br_if $b0_done (i32.eqz (local.get $bits)))
                        (local.set $wr (i32.add (local.get $w) (i32.mul (i32.ctz (local.get $bits)) (local.get $rowbytes))))
                        (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $wr))))
                        (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $wr))))
                        (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $wr))))
                        (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $wr))))
                        (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
                        (br $b0s)))
                    (local.set $bits (i32.and (i32.shr_u (local.get $m1) (local.get $arg)) (local.get $j)))
                    (block $b1_done
                      (loop $b1s
                        (br_if $b1_done (i32.eqz (local.get $bits)))
                        (local.set $wr (i32.add (local.get $w) (i32.mul (i32.ctz (local.get $bits)) (local.get $rowbytes))))
                        (local.set $c0 (f32x4.add (local.get $c0) (v128.load offset=0 (local.get $wr))))
                        (local.set $c1 (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $wr))))
                        (local.set $c2 (f32x4.add (local.get $c2) (v128.load offset=32 (local.get $wr))))
                        (local.set $c3 (f32x4.add (local.get $c3) (v128.load offset=48 (local.get $wr))))
                        (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
                        (br $b1s)))))
                (if (i32.eq (local.get $kind) (i32.const 2))
                  (then
                    (local.set $j (i32.const 0))
                    (block $k_done
                      (loop $ks
                        (br_if $k_done (i32.ge_u (local.get $j) (local.get $count)))
                        (local.set $w0 (v128.load offset=0 (local.get $w)))
                        (local.set $w1 (v128.load offset=16 (local.get $w)))
                        (local.set $w2 (v128.load offset=32 (local.get $w)))
                        (local.set $w3 (v128.load offset=48 (local.get $w)))
                        (local.set $a0 (f32x4.add (local.get $a0) (local.get $w0)))
                        (local.set $a1 (f32x4.add (local.get $a1) (local.get $w1)))
                        (local.set $a2 (f32x4.add (local.get $a2) (local.get $w2)))
                        (local.set $a3 (f32x4.add (local.get $a3) (local.get $w3)))
                        (local.set $c0 (f32x4.add (local.get $c0) (local.get $w0)))
                        (local.set $c1 (f32x4.add (local.get $c1) (local.get $w1)))
                        (local.set $c2 (f32x4.add (local.get $c2) (local.get $w2)))
                        (local.set $c3 (f32x4.add (local.get $c3) (local.get $w3)))
                        (local.set $w (i32.add (local.get $w) (local.get $rowbytes)))
                        (local.set $j (i32.add (local.get $j) (i32.const 1)))
                        (br $ks)))))
                (local.set $e (i32.add (local.get $e) (i32.const 16)))
                (br $entries)))
            (local.set $y0 (i32.add (local.get $y) (i32.mul (local.get $row) (local.get $rowbytes))))
            (local.set $y1 (i32.add (local.get $y) (i32.mul (select (local.get $last) (i32.add (local.get $row) (i32.const 1)) (i32.gt_u (i32.add (local.get $row) (i32.const 1)) (local.get $last))) (local.get $rowbytes))))
            (local.set $moff (i32.shl (local.get $mb) (i32.const 2)))
            (local.set $bo (i32.add (local.get $b) (local.get $moff)))
            (v128.store offset=0 (i32.add (local.get $y0) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
            (v128.store offset=16 (i32.add (local.get $y0) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $bo))) (local.get $floor)))
            (v128.store offset=32 (i32.add (local.get $y0) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $bo))) (local.get $floor)))
            (v128.store offset=48 (i32.add (local.get $y0) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $bo))) (local.get $floor)))
            (v128.store offset=0 (i32.add (local.get $y1) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $c0) (v128.load offset=0 (local.get $bo))) (local.get $floor)))
            (v128.store offset=16 (i32.add (local.get $y1) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $c1) (v128.load offset=16 (local.get $bo))) (local.get $floor)))
            (v128.store offset=32 (i32.add (local.get $y1) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $c2) (v128.load offset=32 (local.get $bo))) (local.get $floor)))
            (v128.store offset=48 (i32.add (local.get $y1) (local.get $moff))
              (f32x4.max (f32x4.add (local.get $c3) (v128.load offset=48 (local.get $bo))) (local.get $floor)))
            (local.set $row (i32.add (local.get $row) (i32.const 2)))
            (br $rows)))
        (local.set $mb (i32.add (local.get $mb) (i32.const 16)))
        (br $blocks))))
)
