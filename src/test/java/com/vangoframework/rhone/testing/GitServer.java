package com.vangoframework.rhone.testing;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.transport.resolver.RepositoryResolver;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;

/**
 * A real git smart-HTTP server (JGit's GitServlet in Jetty) serving the repositories under a
 * directory, and demanding the installation token the way GitHub does: Basic auth with user
 * {@code x-access-token}. Like GitHub it lets clients fetch any reachable commit by SHA.
 */
public final class GitServer implements AutoCloseable {

    private final Server server;
    private final Path root;

    public GitServer(Path root, String token) throws Exception {
        this.root = root;
        GitServlet git = new GitServlet();
        git.setRepositoryResolver((RepositoryResolver<HttpServletRequest>) (req, name) -> open(name));
        git.setUploadPackFactory((req, repo) -> {
            UploadPack up = new UploadPack(repo);
            up.setRequestPolicy(UploadPack.RequestPolicy.REACHABLE_COMMIT);
            return up;
        });
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addFilter(new FilterHolder(new TokenFilter(token)), "/*", EnumSet.allOf(jakarta.servlet.DispatcherType.class));
        context.addServlet(new ServletHolder(git), "/*");
        server.setHandler(context);
        server.start();
    }

    private Repository open(String name) throws RepositoryNotFoundException, ServiceNotEnabledException {
        Path dir = root.resolve(name.endsWith(".git") ? name.substring(0, name.length() - 4) : name).normalize();
        if (!dir.startsWith(root) || !Files.isDirectory(dir.resolve(".git"))) {
            throw new RepositoryNotFoundException(name);
        }
        try {
            return new FileRepositoryBuilder().setGitDir(dir.resolve(".git").toFile()).build();
        } catch (IOException e) {
            throw new ServiceNotEnabledException("cannot open " + name);
        }
    }

    public String url(String repo) {
        return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/" + repo + ".git";
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    private static final class TokenFilter implements Filter {
        private final byte[] expected;

        TokenFilter(String token) {
            expected = ("Basic " + Base64.getEncoder().encodeToString(("x-access-token:" + token)
                    .getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            String header = ((HttpServletRequest) request).getHeader("Authorization");
            if (header == null || !MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.UTF_8))) {
                HttpServletResponse res = (HttpServletResponse) response;
                res.setHeader("WWW-Authenticate", "Basic realm=\"git\"");
                res.sendError(401);
                return;
            }
            chain.doFilter(request, response);
        }
    }
}
