; The generated part of scripts/compat-nm-foreign.mjs's sample: one module with every kind of symbol nm
; classifies (global, local, weak, hidden, common, TLS, read-only, small data, undefined, weak undefined,
; COMDAT, alias, ifunc), and code that makes assemblers emit mapping symbols, literal pools and jump
; tables. No target triple or data layout: llc takes them from -mtriple. Lines marked `; ifunc` are
; left out for machines whose assembler has no STT_GNU_IFUNC (MIPS).
@counter = global i32 1
@table = global [4 x i64] [i64 1, i64 2, i64 3, i64 4]
@local_data = internal global i32 7
@bss_var = global i32 0
@local_bss = internal global [64 x i8] zeroinitializer
@common_var = common global i32 0
@small_common = common global i16 0
@big_common = common global [256 x i8] zeroinitializer
@tls_var = thread_local global i32 5
@tls_bss = thread_local global i32 0
@weak_data = weak global i32 3
@hidden_data = hidden global i32 4
@message = private unnamed_addr constant [14 x i8] c"hello, world\0A\00"
@ro_table = constant [3 x i32] [i32 10, i32 20, i32 30]
@extern_data = external global i32
@extern_weak = extern_weak global i32
@odr_data = linkonce_odr global i32 9, comdat
$odr_data = comdat any
$odr_fn = comdat any
@fn_alias = alias i32 (i32), i32 (i32)* @global_fn
@data_alias = weak alias i32, i32* @counter
@resolved = ifunc i32 (i32), i32 (i32)* ()* @resolver ; ifunc

declare i32 @puts(i8*)
declare void @extern_fn(i32)
declare extern_weak void @maybe_fn()

define i32 @global_fn(i32 %x) {
  %a = load i32, i32* @counter
  %b = add i32 %a, %x
  %c = load i32, i32* @extern_data
  %d = mul i32 %b, %c
  %t = load i32, i32* @tls_var
  %e = add i32 %d, %t
  store i32 %e, i32* @common_var
  %o = load i32, i32* @odr_data
  %f = add i32 %e, %o
  %g = call i32 @odr_fn(i32 %f)
  ret i32 %g
}

define internal i32 @static_fn(i32 %x) noinline {
  %p = getelementptr [14 x i8], [14 x i8]* @message, i32 0, i32 0
  %r = call i32 @puts(i8* %p)
  %l = load i32, i32* @local_data
  %s = add i32 %r, %l
  %y = add i32 %s, %x
  %w = load i32, i32* @extern_weak
  %z = add i32 %y, %w
  ret i32 %z
}

define weak i32 @weak_fn(i32 %x) {
  %r = call i32 @static_fn(i32 %x)
  call void @extern_fn(i32 %r)
  ret i32 %r
}

define linkonce_odr i32 @odr_fn(i32 %x) comdat {
  %y = mul i32 %x, 1103515245
  %z = add i32 %y, 12345
  ret i32 %z
}

define internal i32 (i32)* @resolver() {
  ret i32 (i32)* @global_fn
}

define hidden i32 @hidden_fn(i32 %x) {
  switch i32 %x, label %def [ i32 0, label %a  i32 1, label %b  i32 2, label %c  i32 3, label %d  i32 4, label %e  i32 5, label %f ]
a: ret i32 11
b: ret i32 12345678
c: call void @maybe_fn()
   ret i32 1234567890
d: ret i32 87654321
e: %q = load i32, i32* @weak_data
   ret i32 %q
f: %w = load i16, i16* @small_common
   %ww = zext i16 %w to i32
   ret i32 %ww
def: ret i32 0
}

define double @float_fn(double %x) {
  %y = fmul double %x, 3.14159265358979
  %z = fadd double %y, 2.71828182845904
  ret double %z
}

define i64 @big_const() {
  ret i64 81985529216486895
}

define i32 @main() {
  %r = call i32 @global_fn(i32 1)
  %s = call i32 @weak_fn(i32 %r)
  %t = call i32 @hidden_fn(i32 %s)
  %u = call i32 @resolved(i32 %t) ; ifunc
  ret i32 %t
}
