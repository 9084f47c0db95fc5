    .intel_syntax noprefix
    .globl _start
_start:
    mov  rcx, [rsp]
    lea  r12, [rsp+8]
    lea  r13, [r12+rcx*8+8]
    test rcx, rcx
    jz   refuse
    mov  rdi, r13
skip_env:
    mov  rax, [rdi]
    add  rdi, 8
    test rax, rax
    jnz  skip_env
aux:
    mov  rax, [rdi]
    test rax, rax
    jz   refuse
    cmp  rax, 31
    je   found
    add  rdi, 16
    jmp  aux
found:
    mov  rsi, [rdi+8]
    mov  rax, [rsi]
    movabs rdx, 0x2f64662f7665642f
    cmp  rax, rdx
    je   do_exec
    movabs rdx, 0x65732f636f72702f
    cmp  rax, rdx
    jne  refuse
    cmp  dword ptr [rsi+8], 0x662f666c
    jne  refuse
    cmp  word ptr [rsi+12], 0x2f64
    jne  refuse
do_exec:
    mov  rdi, [r12]
    lea  rsi, [r12+8]
    mov  rdx, r13
    mov  eax, 59
    syscall
    neg  eax
    mov  r14d, 127
    cmp  eax, 13
    jne  1f
    mov  r14d, 126
1:  cmp  eax, 8
    jne  2f
    mov  r14d, 126
2:  lea  r15, [rsp-16]
    mov  byte ptr [r15], 10
    mov  ecx, 10
digit:
    xor  edx, edx
    div  ecx
    add  dl, 48
    dec  r15
    mov  [r15], dl
    test eax, eax
    jnz  digit
    mov  edi, 2
    lea  rsi, [rip+failed]
    mov  edx, failed_end-failed
    mov  eax, 1
    syscall
    mov  edi, 2
    mov  rsi, r15
    lea  rdx, [rsp-15]
    sub  rdx, r15
    mov  eax, 1
    syscall
    mov  edi, r14d
    jmp  leave
refuse:
    mov  edi, 2
    lea  rsi, [rip+refused]
    mov  edx, refused_end-refused
    mov  eax, 1
    syscall
    mov  edi, 126
leave:
    mov  eax, 231
    syscall
failed:
    .ascii "bundlebench-runtime: the container's program could not be executed: errno "
failed_end:
refused:
    .ascii "bundlebench-runtime: refused: the runtime's exec helper was started again from inside the container, which is how a container reaches the runtime's own binary (CVE-2019-5736)\n"
refused_end:
