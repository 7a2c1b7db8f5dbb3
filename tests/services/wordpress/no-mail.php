<?php
/*
 * Plugin Name: sopkit tests: no mail
 * Description: The loopback test WordPress has no sendmail; pretend every mail went out so installs stay quiet.
 */

function wp_mail($to, $subject, $message, $headers = '', $attachments = array(), $embeds = array()) {
    return true;
}
