/** HTTP edge helpers shared by resources: JSON error bodies with one actionable sentence. */
package com.vangoframework.rhone.web;
