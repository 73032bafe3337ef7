;; A Paddock plugin written by hand, because no source language emits
;; `table.grow` on demand: every hook grows a table without bound.
;;
;; Every hook takes the hook-context by pointer (it flattens to more than 16
;; values) and returns a pointer to its result, so all five share one
;; signature. The host must refuse the growth at its table limit and name it.
(module
  (memory (export "memory") 1)
  (table $grown 1 funcref)
  (global $next_free (mut i32) (i32.const 1024))

  ;; Bump allocator for the host to copy the hook-context in; never frees.
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $start i32)
    (local.set $start
      (i32.and
        (i32.add (global.get $next_free) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next_free (i32.add (local.get $start) (local.get $size)))
    (if (i32.gt_u (global.get $next_free) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1)))))
    (local.get $start))

  ;; Grows by 64 Ki elements until refused, then traps: a refused growth
  ;; returns -1, and a plugin that cannot get its table cannot go on.
  (func $grow_forever (param i32) (result i32)
    (loop $again
      (br_if $again
        (i32.ne (table.grow $grown (ref.null func) (i32.const 65536)) (i32.const -1))))
    unreachable)

  (export "paddock:plugin/hooks@0.1.0#deploy" (func $grow_forever))
  (export "paddock:plugin/hooks@0.1.0#destroy" (func $grow_forever))
  (export "paddock:plugin/hooks@0.1.0#dockerfile-injection" (func $grow_forever))
  (export "paddock:plugin/hooks@0.1.0#bootstrap-injection" (func $grow_forever))
  (export "paddock:plugin/hooks@0.1.0#job-runtime-env-vars" (func $grow_forever))
)
