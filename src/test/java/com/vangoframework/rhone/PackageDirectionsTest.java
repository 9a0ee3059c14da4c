package com.vangoframework.rhone;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The directions the packages may depend in, held by a test so a change cannot quietly break
 * them: HTTP lives at the edge ({@code web}), the webhook's door and the Check Runs in
 * {@code github}, the queue in {@code deployments} owns the port that {@code pipeline} implements,
 * and the composition root ({@code RhoneApplication}) is the only place that knows them all.
 */
class PackageDirectionsTest {

    private static final String ROOT = "com.vangoframework.rhone";
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    /** The feature packages, each with the features it may use; every package may use the shared ones. */
    private static final Map<String, Set<String>> FEATURES = Map.of(
            "web", Set.of("github", "deployments", "logs", "apps"),
            "github", Set.of("deployments", "logs", "apps"),
            "pipeline", Set.of("deployments", "logs", "apps"),
            "logs", Set.of("deployments", "apps"),
            "deployments", Set.of("apps"),
            "apps", Set.of());

    /**
     * Used by everyone; they use no feature package and not the root (cli may open the database;
     * db's LISTEN loop logs its failures through threads' FailureStreak, which uses nothing).
     */
    private static final Map<String, Set<String>> SHARED = Map.of(
            "cli", Set.of("db"),
            "db", Set.of("threads"),
            "threads", Set.of(),
            "ratelimit", Set.of());

    @TestFactory
    List<DynamicTest> eachPackageUsesOnlyWhatItMay() {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, Set<String>> all = new java.util.HashMap<>(FEATURES);
        all.putAll(SHARED);
        all.forEach((pkg, allowed) -> tests.add(DynamicTest.dynamicTest(pkg + " uses only " + allowed, () -> {
            List<String> forbidden = new ArrayList<>();
            for (String other : all.keySet()) {
                boolean sharedOther = SHARED.containsKey(other) && !SHARED.containsKey(pkg);
                if (!other.equals(pkg) && !allowed.contains(other) && !sharedOther) {
                    forbidden.add(ROOT + "." + other + "..");
                }
            }
            noClasses().that().resideInAPackage(ROOT + "." + pkg + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(forbidden.toArray(String[]::new))
                    .orShould().dependOnClassesThat().resideInAPackage(ROOT)
                    .because("the composition root wires the packages; no package reaches back into it")
                    .check(MAIN);
        })));
        return tests;
    }

    @Test
    void noPackageImportsOneThatImportsItBack() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void theFeaturesKnowNoHttp_neitherTheWebPackageNorJerseyNorTheServletApi() {
        noClasses().that().resideInAnyPackage("..rhone.deployments..", "..rhone.logs..", "..rhone.apps..",
                        "..rhone.db..", "..rhone.cli..", "..rhone.threads..", "..rhone.ratelimit..",
                        "..rhone.pipeline..")
                .should().dependOnClassesThat().resideInAnyPackage("..rhone.web..", "jakarta.ws.rs..",
                        "jakarta.servlet..", "org.glassfish.jersey..")
                .because("everything that serves HTTP lives under web (the webhook servlet is github's door)")
                .check(MAIN);
    }

    @Test
    void theNeutralUtilitiesUseOnlyTheJdkTheirLibraryAndLogging() {
        classes().that().resideInAnyPackage("..rhone.threads..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("..rhone.threads..", "java..", "org.slf4j..")
                .because("every package may use threads, so threads may use none of them")
                .check(MAIN);
        classes().that().resideInAnyPackage("..rhone.ratelimit..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("..rhone.ratelimit..", "java..",
                        "io.github.bucket4j..")
                .because("every package may use ratelimit, so ratelimit may use none of them")
                .check(MAIN);
    }

    @Test
    void everyPackageIsInTheTable() {
        Set<String> known = new java.util.HashSet<>(FEATURES.keySet());
        known.addAll(SHARED.keySet());
        List<String> unknown = MAIN.stream().map(c -> c.getPackageName())
                .filter(p -> p.startsWith(ROOT + "."))
                .map(p -> p.substring(ROOT.length() + 1).split("\\.")[0])
                .filter(p -> !known.contains(p)).distinct().toList();
        org.assertj.core.api.Assertions.assertThat(unknown)
                .as("a new package needs its allowed directions written here").isEmpty();
    }
}
