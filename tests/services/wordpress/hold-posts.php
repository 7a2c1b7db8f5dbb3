<?php
/*
 * Plugin Name: sopkit tests: hold posts
 * Description: Hold a REST post insert for a while, as a stuck server would, and apply it however long the client
 * has been gone (issue 17). Inactive unless a test arms it.
 *
 * A file <WP_CONTENT_DIR>/sopkit-holds/<slug> holding a number of seconds arms one hold: the next REST request that
 * creates a post with that slug claims it (renames it to holding-<slug>-<process>-<php pid>, so two PHP workers
 * never both take it), sleeps, then lets WordPress insert the post, which gives it the slug <slug>-2 if the slug
 * was taken meanwhile. When the request is over the marker becomes held-<slug>-<process>-<php pid>. <process> is
 * the X-Sopkit-Process header of the request (the test's job process), so a test can kill exactly the process
 * whose request is being held.
 */

add_filter('rest_pre_insert_post', function ($prepared, $request) {
    $dir = WP_CONTENT_DIR . '/sopkit-holds';
    $slug = isset($prepared->post_name) ? (string) $prepared->post_name : '';
    if ($slug === '' || !preg_match('/^[a-z0-9-]+$/', $slug) || !is_dir($dir)) {
        return $prepared;
    }
    $process = preg_replace('/[^0-9A-Za-z]/', '', (string) ($_SERVER['HTTP_X_SOPKIT_PROCESS'] ?? 'none'));
    $tag = "$slug-$process-" . getmypid();
    $holding = "$dir/holding-$tag";
    if (!@rename("$dir/$slug", $holding)) {
        return $prepared;  // not armed, or another worker took this hold
    }
    $seconds = (float) @file_get_contents($holding);
    ignore_user_abort(true);  // the client gives up long before: the insert must happen all the same
    register_shutdown_function(function () use ($holding, $dir, $tag) {
        @rename($holding, "$dir/held-$tag");
    });
    usleep((int) ($seconds * 1000000));
    return $prepared;
}, 10, 2);
