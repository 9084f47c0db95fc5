    .globl _start
_start:
    ldr  x9, [sp]
    add  x10, sp, #8
    add  x11, x10, x9, lsl #3
    add  x11, x11, #8
    cbz  x9, refuse
    mov  x12, x11
skip_env:
    ldr  x0, [x12], #8
    cbnz x0, skip_env
aux:
    ldr  x0, [x12]
    cbz  x0, refuse
    cmp  x0, #31
    b.eq found
    add  x12, x12, #16
    b    aux
found:
    ldr  x1, [x12, #8]
    ldr  x0, [x1]
    ldr  x2, =0x2f64662f7665642f
    cmp  x0, x2
    b.eq do_exec
    ldr  x2, =0x65732f636f72702f
    cmp  x0, x2
    b.ne refuse
    ldr  w0, [x1, #8]
    ldr  w2, =0x662f666c
    cmp  w0, w2
    b.ne refuse
    ldrh w0, [x1, #12]
    mov  w2, #0x2f64
    cmp  w0, w2
    b.ne refuse
do_exec:
    ldr  x0, [x10]
    add  x1, x10, #8
    mov  x2, x11
    mov  x8, #221
    svc  #0
    neg  x0, x0
    mov  x19, #127
    cmp  x0, #13
    b.eq 1f
    cmp  x0, #8
    b.ne 2f
1:  mov  x19, #126
2:  sub  sp, sp, #32
    add  x20, sp, #16
    mov  w3, #10
    strb w3, [x20]
    mov  x21, x20
digit:
    udiv x4, x0, x3
    msub x5, x4, x3, x0
    add  x5, x5, #48
    sub  x21, x21, #1
    strb w5, [x21]
    mov  x0, x4
    cbnz x0, digit
    mov  x0, #2
    adr  x1, failed
    mov  x2, #(failed_end - failed)
    mov  x8, #64
    svc  #0
    mov  x0, #2
    mov  x1, x21
    add  x2, x20, #1
    sub  x2, x2, x21
    mov  x8, #64
    svc  #0
    mov  x0, x19
    b    leave
refuse:
    mov  x0, #2
    adr  x1, refused
    mov  x2, #(refused_end - refused)
    mov  x8, #64
    svc  #0
    mov  x0, #126
leave:
    mov  x8, #94
    svc  #0
    .ltorg
failed:
    .ascii "bundlebench-runtime: the container's program could not be executed: errno "
failed_end:
refused:
    .ascii "bundlebench-runtime: refused: the runtime's exec helper was started again from inside the container, which is how a container reaches the runtime's own binary (CVE-2019-5736)\n"
refused_end:
