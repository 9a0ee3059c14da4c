package com.vangoframework.rhone;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The directions the packages may depend in, held by a test so a change cannot quietly break
 * them. So far: HTTP lives at the edge ({@code web}); the features it calls know no HTTP.
 * (Issue 11 adds the full set of directions as the remaining cycles are taken apart.)
 */
class PackageDirectionsTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("com.vangoframework.rhone");

    @Test
    void theFeaturesKnowNoHttp_neitherTheWebPackageNorJerseyNorTheServletApi() {
        noClasses().that().resideInAnyPackage("..rhone.deployments..", "..rhone.logs..", "..rhone.apps..",
                        "..rhone.db..")
                .should().dependOnClassesThat().resideInAnyPackage("..rhone.web..", "jakarta.ws.rs..",
                        "jakarta.servlet..", "org.glassfish.jersey..")
                .because("everything that speaks HTTP lives under web (the webhook servlet is github's door)")
                .check(MAIN);
    }

    @Test
    void gitHubKnowsNoWeb_signInWithGitHubIsCalledFromTheEdge() {
        noClasses().that().resideInAnyPackage("..rhone.github..")
                .should().dependOnClassesThat().resideInAnyPackage("..rhone.web..")
                .because("web calls into github (the OAuth flow, the sessions decide whom it signs in)")
                .check(MAIN);
    }

    @Test
    void thePipelineImplementsTheQueuesPort_andTheQueueNeverReachesBack() {
        noClasses().that().resideInAnyPackage("..rhone.deployments..")
                .should().dependOnClassesThat().resideInAnyPackage("..rhone.pipeline..")
                .because("the queue owns the BuildPipeline port; the pipeline plugs into it")
                .check(MAIN);
    }
}
