# The hand-written part of scripts/compat-nm-foreign.mjs's sample, assembled with `as -L` (local labels kept)
# for every machine and then patched (scripts/lib/elf-patch.mjs): candidate mapping-symbol and
# local-label names (`#` and `%` become \x01 and \x02, names starting with "empty" become empty),
# symbols whose type, value or section index the patches change, commons and small data.
	.text
"$x":	.byte 0
"$xfoo":	.byte 0
"$x.1":	.byte 0
"$d":	.byte 0
"$d.7":	.byte 0
"$dx":	.byte 0
"$a":	.byte 0
"$a.2":	.byte 0
"$t":	.byte 0
"$t.3":	.byte 0
"$b":	.byte 0
"$f":	.byte 0
"$p":	.byte 0
"$m":	.byte 0
"$v":	.byte 0
"$":	.byte 0
"$$":	.byte 0
".L1":	.byte 0
".Lfoo":	.byte 0
".L":	.byte 0
"..x":	.byte 0
"._x":	.byte 0
".X":	.byte 0
"L1":	.byte 0
"_.L_x":	.byte 0
"__tmp":	.byte 0
"LC0":	.byte 0
".LC0":	.byte 0
"plain":	.byte 0
	.globl "$x.g"
"$x.g":	.byte 0
	.globl "$d.g"
"$d.g":	.byte 0
	.globl ".Lglob"
".Lglob":	.byte 0
	.globl "$t.g"
"$t.g":	.byte 0
	.weak "$a.w"
"$a.w":	.byte 0
	.data
"$d.data":	.byte 0
"$x.data":	.byte 0
".Ldata":	.byte 0
"$t.data":	.byte 0
	.globl "$d.gdata"
"$d.gdata":	.byte 0
	.type "$t.fn",%function
"$t.fn":	.byte 0
	.set "$x.abs", 0x10
	.set "$d.abs", 0x20
	.set ".Labs", 0x30
	.globl "$x.und"
	.word "$x.und"
	.word "$d.und"
	.word ".Lund"
	.comm "$d.comm",4,4
	.comm ".Lcomm",4,4
	.text
"L0#":	.byte 0
"L0#5":	.byte 0
"L12%":	.byte 0
"L12%3":	.byte 0
"L1#x":	.byte 0
"L1%%":	.byte 0
"L#":	.byte 0
"LA#":	.byte 0
"_L0#":	.byte 0
"L0":	.byte 0
"L0#.":	.byte 0
"L00#":	.byte 0
"L1#5#":	.byte 0
"L9%9x":	.byte 0
"X0#":	.byte 0
"L12#":	.byte 0
"L05#":	.byte 0
".L0#":	.byte 0
"_.Lx":	.byte 0
"_.L_":	.byte 0
"_.L":	.byte 0
"..":	.byte 0
".l":	.byte 0
".LL":	.byte 0
"_..":	.byte 0
"x.L":	.byte 0
"$D":	.byte 0
"$dD":	.byte 0
"$b.1":	.byte 0
"$bz":	.byte 0
"$c":	.byte 0
"$c.1":	.byte 0
"$cz":	.byte 0
"$e":	.byte 0
"$e.1":	.byte 0
"$ez":	.byte 0
"$g":	.byte 0
"$g.1":	.byte 0
"$gz":	.byte 0
"$h":	.byte 0
"$h.1":	.byte 0
"$hz":	.byte 0
"$i":	.byte 0
"$i.1":	.byte 0
"$iz":	.byte 0
"$j":	.byte 0
"$j.1":	.byte 0
"$jz":	.byte 0
"$k":	.byte 0
"$k.1":	.byte 0
"$kz":	.byte 0
"$l":	.byte 0
"$l.1":	.byte 0
"$lz":	.byte 0
"$n":	.byte 0
"$n.1":	.byte 0
"$nz":	.byte 0
"$o":	.byte 0
"$o.1":	.byte 0
"$oz":	.byte 0
"$q":	.byte 0
"$q.1":	.byte 0
"$qz":	.byte 0
"$r":	.byte 0
"$r.1":	.byte 0
"$rz":	.byte 0
"$s":	.byte 0
"$s.1":	.byte 0
"$sz":	.byte 0
"$u":	.byte 0
"$u.1":	.byte 0
"$uz":	.byte 0
"$w":	.byte 0
"$w.1":	.byte 0
"$wz":	.byte 0
"$y":	.byte 0
"$y.1":	.byte 0
"$yz":	.byte 0
"$z":	.byte 0
"$z.1":	.byte 0
"$zz":	.byte 0
"$A":	.byte 0
"$A.1":	.byte 0
"$Az":	.byte 0
"$X":	.byte 0
"$X.1":	.byte 0
"$Xz":	.byte 0
	.globl "L3#"
"L3#":	.byte 0
empty1:	.byte 0
	.globl empty2
empty2:	.byte 0
	.type emptyf,%function
emptyf:	.byte 0
	.globl f_func, f_ifunc, f_obj, f_notype, f_tls, f_sect, f_abs, f_abs_obj, f_weak, l_func, f_common
f_func:	.byte 0,0,0,0
f_ifunc: .byte 0,0,0,0
f_obj: .byte 0,0,0,0
f_notype: .byte 0,0,0,0
f_tls: .byte 0,0,0,0
f_weak: .byte 0,0,0,0
l_func: .byte 0,0,0,0
t_func10: .byte 0,0,0,0
t_func11: .byte 0,0,0,0
t_func12: .byte 0,0,0,0
t_func13: .byte 0,0,0,0
t_func15: .byte 0,0,0,0
	.set f_abs, 0x41
	.set f_abs_obj, 0x43
	.comm small,4,4
	.comm big,64,8
	.lcomm lsmall,4
	.lcomm lbig,100
	.data
d_func:	.byte 0,0,0,0
empty3:	.byte 0
	.word emptyu
	.word und_func
sd:	.word 1
	.globl gsd
gsd:	.word 2

