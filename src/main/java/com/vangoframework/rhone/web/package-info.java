/**
 * The HTTP edge of the dashboard: sessions and sign-in, the Freemarker pages and their forms, the
 * live app pages' event streams ({@link com.vangoframework.rhone.web.AppEventsFilter}, fed by
 * {@link com.vangoframework.rhone.web.LiveApps} from the live logs' notifications), and JSON error
 * bodies with one actionable sentence. Page scripts are static files under {@code /assets/}.
 */
package com.vangoframework.rhone.web;
