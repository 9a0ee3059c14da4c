FROM local/busybox:1
RUN echo compiling main.c && echo "main.c:42: error: missing semicolon" && exit 2
