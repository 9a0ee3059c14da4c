FROM local/busybox:1 AS build
WORKDIR /src
COPY hello.txt .
RUN cat hello.txt > out.txt && echo built from hello.txt
FROM local/busybox:1
COPY --from=build /src/out.txt /out.txt
RUN cat /out.txt
