;; Bilinear resampling of an RGB image into three normalised float planes, with WebAssembly SIMD, in
;; the double precision and operation order of regionToChwJs (tensor.ts), so the planes are the
;; same to the bit: a pixel's R and G are the lanes of one f64x2, its B the first lane of another.
;; The caller (resample.ts) lays out linear memory and computes the tables as regionToChwJs does:
;;
;;   xtab: outW entries of 8 bytes: i32 byte offset of the left source pixel in its row, f32 weight
;;         of the right one (the right pixel is always the next one: the last column is sampled as
;;         the pair before it with weight 1, the same value)
;;   ytab: outH entries of 16 bytes: i32 byte offset of the upper source row, i32 bytes from it to
;;         the lower row (0 on the last row), f64 weight of the lower row
;;   dst:  three planes of outW * outH f32, for R, G and B in that order
;;
;; value = bilinear * scale - offset (scale = 1 / (255 std), offset = mean / std), per channel.
;; A pixel pair is read as four 8-byte loads from its first byte to 12 bytes past it: the image must
;; be followed by 8 readable bytes.
(module
  (memory (export "memory") 1)
  (func (export "resample")
    (param $src i32) (param $xtab i32) (param $ytab i32) (param $outW i32) (param $outH i32)
    (param $dst i32)
    (param $sr f64) (param $sg f64) (param $sb f64) (param $fr f64) (param $fg f64) (param $fb f64)
    (local $y i32) (local $x i32) (local $yt i32) (local $xt i32) (local $row0 i32) (local $drow i32)
    (local $a i32) (local $b i32) (local $o i32) (local $plane i32)
    (local $wy v128) (local $wx v128) (local $sRG v128) (local $fRG v128) (local $sB v128)
    (local $fB v128) (local $v0 v128) (local $d v128) (local $topRG v128) (local $topB v128)
    (local $botRG v128) (local $botB v128) (local $vRG v128) (local $vB v128)
    (local.set $plane (i32.mul (i32.mul (local.get $outW) (local.get $outH)) (i32.const 4)))
    (local.set $sRG (f64x2.replace_lane 1 (f64x2.splat (local.get $sr)) (local.get $sg)))
    (local.set $fRG (f64x2.replace_lane 1 (f64x2.splat (local.get $fr)) (local.get $fg)))
    (local.set $sB (f64x2.splat (local.get $sb)))
    (local.set $fB (f64x2.splat (local.get $fb)))
    (local.set $o (local.get $dst))
    (local.set $yt (local.get $ytab))
    (local.set $y (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $outH)))
        (local.set $row0 (i32.add (local.get $src) (i32.load (local.get $yt))))
        (local.set $drow (i32.load offset=4 (local.get $yt)))
        (local.set $wy (f64x2.splat (f64.load offset=8 (local.get $yt))))
        (local.set $xt (local.get $xtab))
        (local.set $x (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $x) (local.get $outW)))
            (local.set $a (i32.add (local.get $row0) (i32.load (local.get $xt))))
            (local.set $b (i32.add (local.get $a) (local.get $drow)))
            (local.set $wx (f64x2.splat (f64.promote_f32 (f32.load offset=4 (local.get $xt)))))
            ;; upper row: (R0 G0 B0 R1) at a and (R1 G1 B1 R2) at a + 3 widened to i32 lanes; their
            ;; difference is exact in integers, as it is in doubles
            (local.set $v0 (i32x4.extend_low_i16x8_u (v128.load8x8_u (local.get $a))))
            (local.set $d (i32x4.sub
              (i32x4.extend_low_i16x8_u (v128.load8x8_u offset=3 (local.get $a))) (local.get $v0)))
            (local.set $topRG (f64x2.add (f64x2.convert_low_i32x4_s (local.get $v0))
              (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $d)) (local.get $wx))))
            (local.set $topB (f64x2.add
              (f64x2.convert_low_i32x4_s
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v0) (local.get $v0)))
              (f64x2.mul
                (f64x2.convert_low_i32x4_s
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))
                (local.get $wx))))
            ;; lower row
            (local.set $v0 (i32x4.extend_low_i16x8_u (v128.load8x8_u (local.get $b))))
            (local.set $d (i32x4.sub
              (i32x4.extend_low_i16x8_u (v128.load8x8_u offset=3 (local.get $b))) (local.get $v0)))
            (local.set $botRG (f64x2.add (f64x2.convert_low_i32x4_s (local.get $v0))
              (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $d)) (local.get $wx))))
            (local.set $botB (f64x2.add
              (f64x2.convert_low_i32x4_s
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v0) (local.get $v0)))
              (f64x2.mul
                (f64x2.convert_low_i32x4_s
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))
                (local.get $wx))))
            ;; between the rows, then normalised
            (local.set $vRG (f64x2.sub
              (f64x2.mul
                (f64x2.add (local.get $topRG)
                  (f64x2.mul (f64x2.sub (local.get $botRG) (local.get $topRG)) (local.get $wy)))
                (local.get $sRG))
              (local.get $fRG)))
            (local.set $vB (f64x2.sub
              (f64x2.mul
                (f64x2.add (local.get $topB)
                  (f64x2.mul (f64x2.sub (local.get $botB) (local.get $topB)) (local.get $wy)))
                (local.get $sB))
              (local.get $fB)))
            (f32.store (local.get $o) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $vRG))))
            (f32.store (i32.add (local.get $o) (local.get $plane))
              (f32.demote_f64 (f64x2.extract_lane 1 (local.get $vRG))))
            (f32.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1)))
              (f32.demote_f64 (f64x2.extract_lane 0 (local.get $vB))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $xt (i32.add (local.get $xt) (i32.const 8)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $cols)))
        (local.set $yt (i32.add (local.get $yt) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows)))))
